import { type ChildProcess, fork } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { within } from './time.ts';

/**
 * A child process's procedures: name -> one argument and one result, both structured-cloneable.
 * Declared as type aliases (not interfaces) so they satisfy this index signature.
 */
export type Api = Record<string, { arg: unknown; result: unknown }>;

type ToChild = { kind: 'call'; id: number; name: string; arg: unknown } | { kind: 'close' };
type FromChild =
  | { kind: 'hello'; hello: unknown }
  | { kind: 'answer'; id: number; ok: true; result: unknown }
  | { kind: 'answer'; id: number; ok: false; error: string }
  | { kind: 'closed'; error: string | null };

interface Pending {
  resolve(value: unknown): void;
  reject(error: Error): void;
}

/** Every child still alive, so that the watchdog and Ctrl-C can kill what a failed run left behind. */
const alive = new Set<ChildProcess>();

export function killAllChildren(): void {
  for (const child of alive) child.kill('SIGKILL');
}

export function errorMessage(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/** The parent's side of a benchmark child process (`server-process.ts`, `generator-process.ts`). */
export class ChildHandle<A extends Api, H> {
  readonly label: string;
  readonly hello: H;
  readonly #child: ChildProcess;
  readonly #pending = new Map<number, Pending>();
  readonly #exited: Promise<void>;
  #nextId = 1;
  #closeError: string | null = null;

  private constructor(label: string, child: ChildProcess, hello: H) {
    this.label = label;
    this.hello = hello;
    this.#child = child;
    this.#exited = new Promise((resolve) => {
      child.once('exit', (code, signal) => {
        for (const pending of this.#pending.values()) {
          pending.reject(new Error(`${label} exited (code ${code}, signal ${signal}) before answering`));
        }
        this.#pending.clear();
        resolve();
      });
    });
    child.on('message', (raw) => this.#receive(raw as FromChild));
  }

  /**
   * Forks `file` (with this process's Node flags plus `nodeArgs`) and resolves once it says hello;
   * kills it if it does not within `timeoutMs`.
   */
  static start<A extends Api, H>(
    label: string,
    file: URL,
    env: Record<string, string>,
    timeoutMs: number,
    nodeArgs: string[] = [],
  ): Promise<ChildHandle<A, H>> {
    // stdout/stderr inherited: a server warning or a crash's stack trace belongs in the benchmark's output.
    const child = fork(fileURLToPath(file), [], {
      env: { ...process.env, ...env },
      execArgv: [...process.execArgv, ...nodeArgs],
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
      serialization: 'advanced',
    });
    alive.add(child);
    child.once('exit', () => alive.delete(child));
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        child.kill('SIGKILL');
        reject(new Error(`${label} was not ready within ${timeoutMs} ms`));
      }, timeoutMs);
      const onExit = (code: number | null, signal: string | null) => {
        clearTimeout(timer);
        reject(new Error(`${label} exited before it was ready (code ${code}, signal ${signal})`));
      };
      const onMessage = (raw: unknown) => {
        const message = raw as FromChild;
        if (message.kind !== 'hello') return;
        clearTimeout(timer);
        child.off('exit', onExit);
        child.off('message', onMessage);
        resolve(new ChildHandle<A, H>(label, child, message.hello as H));
      };
      child.once('exit', onExit);
      child.on('message', onMessage);
    });
  }

  get pid(): number | undefined {
    return this.#child.pid;
  }

  call<K extends keyof A & string>(name: K, arg: A[K]['arg'], timeoutMs: number): Promise<A[K]['result']> {
    const id = this.#nextId++;
    const { promise, resolve, reject } = Promise.withResolvers<A[K]['result']>();
    const timer = setTimeout(() => {
      this.#pending.delete(id);
      reject(new Error(`${this.label}.${name}: no answer within ${timeoutMs} ms`));
    }, timeoutMs);
    this.#pending.set(id, {
      // The child answers with what its handler for `name` returned: the result type of `A[name]`.
      resolve: (value) => {
        clearTimeout(timer);
        resolve(value as A[K]['result']);
      },
      reject: (error) => {
        clearTimeout(timer);
        reject(error);
      },
    });
    this.#send({ kind: 'call', id, name, arg }, (error) => this.#pending.get(id)?.reject(error));
    return promise;
  }

  /**
   * Asks the child to close what it opened and exit. One that has not exited within `timeoutMs` is
   * killed. Returns what went wrong (empty: a clean exit), for the report rather than as a throw,
   * so that one bad child does not keep the others from being stopped.
   */
  async stop(timeoutMs: number): Promise<string[]> {
    const problems: string[] = [];
    if (this.#child.exitCode !== null || this.#child.signalCode !== null) {
      if (this.#child.exitCode !== 0) {
        problems.push(`${this.label} had already exited (code ${this.#child.exitCode}, ${this.#child.signalCode})`);
      }
      return problems;
    }
    this.#send({ kind: 'close' }, (error) => problems.push(`${this.label}: close not sent: ${error.message}`));
    const exited = await within(this.#exited, timeoutMs);
    if (!exited.done) {
      this.#child.kill('SIGKILL');
      problems.push(`${this.label} did not exit within ${timeoutMs} ms of closing (open handles?); killed`);
      await this.#exited;
    } else if (this.#child.exitCode !== 0) {
      problems.push(`${this.label} exited with code ${this.#child.exitCode}`);
    }
    if (this.#closeError) problems.push(`${this.label} failed to close: ${this.#closeError}`);
    return problems;
  }

  #send(message: ToChild, onError: (error: Error) => void): void {
    if (!this.#child.connected) {
      onError(new Error(`${this.label} is not connected`));
      return;
    }
    this.#child.send(message, (error) => {
      if (error) onError(error);
    });
  }

  #receive(message: FromChild): void {
    if (message.kind === 'closed') {
      this.#closeError = message.error;
      return;
    }
    if (message.kind !== 'answer') return;
    const pending = this.#pending.get(message.id);
    if (!pending) return; // timed out already; the caller was told
    this.#pending.delete(message.id);
    if (message.ok) pending.resolve(message.result);
    else pending.reject(new Error(message.error));
  }
}

export type Handlers<A extends Api> = { [K in keyof A]: (arg: A[K]['arg']) => Promise<A[K]['result']> };

/**
 * The child's side: says hello, answers calls, and on `close` runs `close` then disconnects, so the
 * process exits by itself once nothing is left open (a leak shows up as a child that has to be killed).
 */
export function serveParent<A extends Api>(hello: unknown, handlers: Handlers<A>, close: () => Promise<void>): void {
  const send = process.send?.bind(process);
  if (!send) throw new Error('this file is a child process of bench/run.ts; run that instead');
  let closing = false;
  // The parent is gone (crashed or killed): do not outlive it.
  process.on('disconnect', () => {
    if (!closing) process.exit(1);
  });
  // Handlers are looked up by the name the parent sent; `ChildHandle.call` only sends names of `A`.
  const byName = handlers as Record<string, (arg: unknown) => Promise<unknown>>;
  process.on('message', (raw) => {
    const message = raw as ToChild;
    if (message.kind === 'close') {
      closing = true;
      close().then(
        () => send({ kind: 'closed', error: null } satisfies FromChild, () => process.disconnect()),
        (error: unknown) =>
          send({ kind: 'closed', error: errorMessage(error) } satisfies FromChild, () => process.disconnect()),
      );
      return;
    }
    const handler = byName[message.name];
    const answer = handler ? handler(message.arg) : Promise.reject(new Error(`no procedure "${message.name}"`));
    answer.then(
      (result) => send({ kind: 'answer', id: message.id, ok: true, result } satisfies FromChild),
      (error: unknown) =>
        send({ kind: 'answer', id: message.id, ok: false, error: errorMessage(error) } satisfies FromChild),
    );
  });
  send({ kind: 'hello', hello } satisfies FromChild);
}
