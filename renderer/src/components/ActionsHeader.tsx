// The header cell over a table's row buttons.
import type { ReactElement } from 'react';

/** A column header named "Actions" for screen readers only (the column holds each row's buttons). */
export function ActionsHeader(): ReactElement {
  return (
    <th scope="col">
      <span className="visually-hidden">Actions</span>
    </th>
  );
}
