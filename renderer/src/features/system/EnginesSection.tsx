// System page, "Engines": the named engines agents can run on, their health with its fix, add and remove.
import { useState } from 'react';
import type { FormEvent, ReactElement } from 'react';
import type { Engine, EngineAddInput } from '../../../../contract/engines';
import { Badge } from '../../components/Badge';
import { InputField, SelectField } from '../../components/Field';
import { getClient } from '../../stores/client';
import { useEngineList } from '../../stores/engines';
import { toShownError } from '../../stores/errors';
import { STATE_BADGES } from './labels';

type AddKind = 'docker-ssh' | 'docker-tls' | 'incus';

const KIND_OPTIONS: { value: AddKind; label: string }[] = [
  { value: 'docker-ssh', label: 'Docker over SSH' },
  { value: 'docker-tls', label: 'Docker over TLS (tcp://host:2376)' },
  { value: 'incus', label: 'Incus remote over HTTPS' },
];

/** What the add form holds, as typed. */
interface AddDraft {
  kind: AddKind;
  id: string;
  name: string;
  /** SSH: `user@host[:port]`; TLS: `host:port`; Incus: `https://host:port`. */
  address: string;
  ca: string;
  cert: string;
  key: string;
  token: string;
}

const EMPTY: AddDraft = {
  kind: 'docker-ssh',
  id: '',
  name: '',
  address: '',
  ca: '',
  cert: '',
  key: '',
  token: '',
};

/**
 * The `engines.add` input of the form, or the first problem as a message naming the field and what is
 * valid (the core checks again, and parses the PEMs).
 */
export function addInputOf(d: AddDraft): { input: EngineAddInput } | { error: string } {
  const id = d.id.trim();
  const name = d.name.trim() || id;
  const address = d.address.trim();
  if (d.kind === 'docker-ssh') {
    const m = /^([^@\s]+)@([^:\s]+)(?::(\d{1,5}))?$/.exec(address);
    if (!m) return { error: 'Address: give user@host or user@host:port (e.g. deploy@build.lan)' };
    return {
      input: {
        id,
        name,
        kind: 'docker',
        transport: 'ssh',
        ssh: { user: m[1]!, host: m[2]!, port: m[3] ? Number(m[3]) : 22 },
      },
    };
  }
  if (d.kind === 'docker-tls') {
    const m = /^(?:tcp:\/\/)?([^:\s/]+)(?::(\d{1,5}))?$/.exec(address);
    if (!m) return { error: 'Address: give host:port (e.g. 10.0.0.5:2376)' };
    if (!d.ca.trim() || !d.cert.trim() || !d.key.trim())
      return { error: 'TLS needs the CA certificate, the client certificate and its key (PEM)' };
    return {
      input: {
        id,
        name,
        kind: 'docker',
        transport: 'tls',
        host: m[1]!,
        port: m[2] ? Number(m[2]) : 2376,
        ca_pem: d.ca,
        cert_pem: d.cert,
        key_pem: d.key,
      },
    };
  }
  if (!d.token.trim())
    return { error: 'Trust token: run `incus config trust add <name>` on the remote and paste it' };
  return { input: { id, name, kind: 'incus', transport: 'https', url: address, token: d.token.trim() } };
}

/** A PEM text area that a file can fill (read here; the text is sent to the core). */
function PemField({
  id,
  label,
  value,
  onChange,
}: {
  id: string;
  label: string;
  value: string;
  onChange: (v: string) => void;
}): ReactElement {
  return (
    <div className="field">
      <label htmlFor={id} className="field__label">
        {label}
      </label>
      <textarea
        id={id}
        data-testid={id}
        className="input input--mono"
        rows={3}
        spellCheck={false}
        value={value}
        placeholder="-----BEGIN …-----"
        onChange={(e) => onChange(e.target.value)}
      />
      <input
        type="file"
        aria-label={`${label} from a file`}
        data-testid={`${id}-file`}
        onChange={(e) => {
          const f = e.target.files?.[0];
          if (f) void f.text().then(onChange);
        }}
      />
    </div>
  );
}

/** One engine: name, where, health (with its fix when not ok), fingerprints, remove. */
function EngineRow({ engine, onRemoved }: { engine: Engine; onRemoved: () => void }): ReactElement {
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const badge = STATE_BADGES[engine.health.state];
  const remove = async (): Promise<void> => {
    setBusy(true);
    try {
      await getClient().engines.remove({ id: engine.id });
      onRemoved();
    } catch (err) {
      setError(toShownError(err).message);
    } finally {
      setBusy(false);
    }
  };
  return (
    <li
      className={`component component--${engine.health.state}`}
      data-testid={`engine-${engine.id}`}
      data-state={engine.health.state}
    >
      <div className="component__head">
        <div className="component__title">
          <span className="component__name">{engine.name}</span>
          <span className="component__role">
            {engine.kind} · <code>{engine.address}</code> · {engine.agents} agent
            {engine.agents === 1 ? '' : 's'}
          </span>
        </div>
        <Badge tone={badge.tone} label={badge.label} testId={`engine-${engine.id}-state`} />
        <button
          type="button"
          className="button button--small"
          disabled={busy}
          onClick={() => void remove()}
          data-testid={`engine-${engine.id}-remove`}
        >
          Remove
        </button>
      </div>
      <p className="component__detail" data-testid={`engine-${engine.id}-detail`}>
        {engine.health.detail}
      </p>
      {engine.health.state !== 'ok' && engine.health.fix ? (
        <p className="component__fix" data-testid={`engine-${engine.id}-fix`}>
          <span className="component__fix-label">How to fix</span> {engine.health.fix}
        </p>
      ) : null}
      {Object.entries(engine.fingerprints).map(([k, f]) => (
        <p key={k} className="muted small">
          {k} certificate SHA-256 <code>{f}</code>
        </p>
      ))}
      {error ? (
        <p className="inline-error" role="alert" data-testid={`engine-${engine.id}-error`}>
          {error}
        </p>
      ) : null}
    </li>
  );
}

/** The add form: the kind, then its fields. */
function AddEngineForm({ onAdded }: { onAdded: () => void }): ReactElement {
  const [d, setD] = useState<AddDraft>(EMPTY);
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const set =
    <K extends keyof AddDraft>(k: K) =>
    (v: AddDraft[K]) =>
      setD((x) => ({ ...x, [k]: v }));
  const submit = async (e: FormEvent): Promise<void> => {
    e.preventDefault();
    const r = addInputOf(d);
    if ('error' in r) {
      setError(r.error);
      return;
    }
    setBusy(true);
    setError(null);
    try {
      await getClient().engines.add(r.input);
      setD(EMPTY);
      onAdded();
    } catch (err) {
      setError(toShownError(err).message);
    } finally {
      setBusy(false);
    }
  };
  const placeholder =
    d.kind === 'docker-ssh'
      ? 'deploy@build.lan:22'
      : d.kind === 'docker-tls'
        ? '10.0.0.5:2376'
        : 'https://10.0.0.7:8443';
  return (
    <form className="create-form" onSubmit={(e) => void submit(e)} data-testid="engine-add-form">
      <SelectField
        id="engine-kind"
        label="Kind"
        value={d.kind}
        options={KIND_OPTIONS}
        onChange={set('kind')}
      />
      <InputField
        id="engine-id"
        label="Id"
        value={d.id}
        onChange={set('id')}
        placeholder="homeserver"
        monospace
      />
      <InputField
        id="engine-name"
        label="Name"
        value={d.name}
        onChange={set('name')}
        placeholder="Home server"
      />
      <InputField
        id="engine-address"
        label="Address"
        value={d.address}
        onChange={set('address')}
        placeholder={placeholder}
        monospace
      />
      {d.kind === 'docker-tls' ? (
        <>
          <PemField id="engine-ca" label="CA certificate" value={d.ca} onChange={set('ca')} />
          <PemField id="engine-cert" label="Client certificate" value={d.cert} onChange={set('cert')} />
          <PemField id="engine-key" label="Client key" value={d.key} onChange={set('key')} />
        </>
      ) : null}
      {d.kind === 'incus' ? (
        <InputField id="engine-token" label="Trust token" value={d.token} onChange={set('token')} monospace />
      ) : null}
      {error ? (
        <p className="inline-error" role="alert" data-testid="engine-add-error">
          {error}
        </p>
      ) : null}
      <button
        type="submit"
        className="button button--primary"
        disabled={busy}
        data-testid="engine-add-submit"
      >
        {busy ? 'Adding…' : 'Add engine'}
      </button>
    </form>
  );
}

/** The "Engines" section: this machine's engines are the Docker and Incus components above; named ones here. */
export function EnginesSection(): ReactElement {
  const { engines, error, reload } = useEngineList();
  const [adding, setAdding] = useState(false);
  return (
    <section className="card" aria-labelledby="engines-title" data-testid="engines-section">
      <h2 id="engines-title" className="card__title">
        Engines
      </h2>
      <p className="muted">
        Agents run on this machine’s Docker or Incus, or on an engine elsewhere: Docker over SSH or TLS, an
        Incus remote. An engine that does not answer leaves its agents as they are; they are checked again
        when it does.
      </p>
      {error && !error.unreachable ? (
        <p className="inline-error" role="alert">
          Could not list engines ({error.code}): {error.message}
        </p>
      ) : null}
      {engines.length > 0 ? (
        <ul className="component-list" data-testid="engine-list">
          {engines.map((e) => (
            <EngineRow key={e.id} engine={e} onRemoved={() => void reload()} />
          ))}
        </ul>
      ) : (
        <p className="muted" data-testid="engines-empty">
          No other engines yet.
        </p>
      )}
      {adding ? (
        <AddEngineForm
          onAdded={() => {
            setAdding(false);
            void reload();
          }}
        />
      ) : (
        <button type="button" className="button" onClick={() => setAdding(true)} data-testid="engine-add">
          Add an engine
        </button>
      )}
    </section>
  );
}
