// Turns dockerode / docker-modem failures into the runtime's typed errors, with a fix the user can act on.
import { RuntimeNotFoundError, RuntimeOperationError, RuntimeUnavailableError } from '../container-runtime';
import { SshError, SshRemoteCommandError } from '../../../platform/ssh';

/** Socket errors that mean "no engine answers at this address" (Node's `error.code`). */
const UNREACHABLE = new Set([
  'ENOENT',
  'ECONNREFUSED',
  'EACCES',
  'EPERM',
  'ENOTFOUND',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ETIMEDOUT',
  'EAI_AGAIN',
]);

/** The fields docker-modem puts on its errors (`statusCode`, `json`) plus Node's socket `code`. */
interface ModemError {
  code?: unknown;
  statusCode?: unknown;
  json?: unknown;
  message?: unknown;
}

/** The engine's HTTP status of a failed call, or null when the call never got an answer. */
export function dockerStatus(err: unknown): number | null {
  const s = (err as ModemError | null)?.statusCode;
  return typeof s === 'number' ? s : null;
}

/**
 * The engine's own message (`{"message": "..."}` in the body, Docker Engine API error shape), else
 * the error's message without docker-modem's `(HTTP code N) reason -` prefix.
 */
export function dockerMessage(err: unknown): string {
  const e = err as ModemError | null;
  const json = e?.json;
  if (json && typeof json === 'object' && typeof (json as { message?: unknown }).message === 'string') {
    return (json as { message: string }).message.trim();
  }
  const msg = typeof e?.message === 'string' ? e.message : String(err);
  return msg.replace(/^\(HTTP code \d+\) [^-]*- /, '').trim();
}

/**
 * A RuntimeUnavailableError when `err` is a socket failure reaching `endpoint`, else null.
 * Fixes follow Docker's post-install docs (docker group) and the usual ways to start the engine.
 */
export function unreachableError(err: unknown, endpoint: string): RuntimeUnavailableError | null {
  const code = (err as ModemError | null)?.code;
  if (typeof code !== 'string' || !UNREACHABLE.has(code)) return null;
  if (code === 'EACCES' || code === 'EPERM') {
    return new RuntimeUnavailableError(
      'docker',
      `Permission denied on the Docker socket ${endpoint}`,
      'Add your user to the docker group (`sudo usermod -aG docker $USER`), then log out and back in',
    );
  }
  if (code === 'ENOENT' || code === 'ECONNREFUSED') {
    return new RuntimeUnavailableError(
      'docker',
      `Docker is not running at ${endpoint} (${code})`,
      'Start Docker (Docker Desktop, or `sudo systemctl start docker`), or point DOCKER_HOST at a running engine',
    );
  }
  return new RuntimeUnavailableError(
    'docker',
    `The Docker host ${endpoint} cannot be reached (${code})`,
    'Check DOCKER_HOST and that the remote engine is up and reachable from this machine',
  );
}

/** TLS codes (Node/OpenSSL) meaning the engine's certificate is not the one this core trusts. */
const SERVER_CERT_REFUSED =
  /^(UNABLE_TO_VERIFY_LEAF_SIGNATURE|UNABLE_TO_GET_ISSUER_CERT(_LOCALLY)?|SELF_SIGNED_CERT_IN_CHAIN|DEPTH_ZERO_SELF_SIGNED_CERT|CERT_SIGNATURE_FAILURE|CERT_HAS_EXPIRED|CERT_NOT_YET_VALID|ERR_TLS_CERT_ALTNAME_INVALID|CERT_UNTRUSTED|CERT_REJECTED)$/;
/** TLS alerts the engine sends when it refuses this core's client certificate. */
const CLIENT_CERT_REFUSED =
  /^ERR_SSL_(SSLV3|TLSV1|TLSV13)_ALERT_(BAD_CERTIFICATE|UNKNOWN_CA|CERTIFICATE_REQUIRED|CERTIFICATE_UNKNOWN|ACCESS_DENIED|DECRYPT_ERROR)$/;

/**
 * A RuntimeUnavailableError (with the original error as `cause`) for a failure of a remote transport:
 * ssh (changed or unknown host key with its fingerprint, refused login, unreachable host) or TLS (the
 * engine's certificate not trusted, this core's client certificate refused); else null.
 */
export function transportError(err: unknown, endpoint: string): RuntimeUnavailableError | null {
  const withCause = (e: RuntimeUnavailableError) => Object.assign(e, { cause: err });
  if (err instanceof SshRemoteCommandError)
    return withCause(
      new RuntimeUnavailableError(
        'docker',
        `Docker at ${endpoint} cannot be reached: ${err.message}`,
        err.exitCode === 127
          ? `Install the docker CLI on ${err.destination}: \`docker system dial-stdio\` runs there`
          : `Start Docker on ${err.destination}, and check that the SSH user may use it (root or the docker group)`,
      ),
    );
  if (err instanceof SshError) return withCause(new RuntimeUnavailableError('docker', err.message, err.hint));
  const code = (err as ModemError | null)?.code;
  if (typeof code !== 'string') return null;
  if (SERVER_CERT_REFUSED.test(code))
    return withCause(
      new RuntimeUnavailableError(
        'docker',
        `The TLS certificate of the Docker engine ${endpoint} is not trusted (${code}): ${(err as Error).message}`,
        "Check the engine's CA certificate and that its server certificate names this host; never turn verification off",
      ),
    );
  if (CLIENT_CERT_REFUSED.test(code))
    return withCause(
      new RuntimeUnavailableError(
        'docker',
        `The Docker engine ${endpoint} refused this core's client certificate (${code})`,
        "Give Agent Desk a client certificate signed by the CA the engine's --tlscacert names",
      ),
    );
  return null;
}

/**
 * Maps any failure of a Docker call to the runtime's errors: unreachable → RuntimeUnavailableError;
 * 404 with `notFound` given → RuntimeNotFoundError; otherwise RuntimeOperationError carrying the
 * engine's message and status.
 * @param operation the runtime method, e.g. `create`, for the message.
 */
export function toRuntimeError(
  err: unknown,
  operation: string,
  endpoint: string,
  notFound?: { what: 'container' | 'image'; ref: string },
): Error {
  if (
    err instanceof RuntimeUnavailableError ||
    err instanceof RuntimeNotFoundError ||
    err instanceof RuntimeOperationError
  ) {
    return err;
  }
  const transport = transportError(err, endpoint);
  if (transport) return transport;
  const unreachable = unreachableError(err, endpoint);
  if (unreachable) return unreachable;
  const status = dockerStatus(err);
  if (status === 404 && notFound) return new RuntimeNotFoundError('docker', notFound.what, notFound.ref);
  return new RuntimeOperationError('docker', operation, dockerMessage(err), status);
}

/** A catch handler for an engine call that turns the given HTTP status (e.g. 304 "already started") into success. */
export function ignoreStatus(status: number): (err: unknown) => void {
  return (err) => {
    if (dockerStatus(err) !== status) throw err;
  };
}
