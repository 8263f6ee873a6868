/**
 * The SQLite connection's own thread (started by sqlite-thread.ts). better-sqlite3 runs every
 * statement synchronously, so on the server's thread each one would stop every other request for
 * as long as SQLite works (writes to the WAL above all); here they run while that thread goes on.
 *
 * Statements run one at a time, in the order they were sent. Once a statement of one connection
 * (a handle the server's thread made: a transaction, a migration run) opens a transaction,
 * statements of every other connection wait until that transaction ends, so nothing runs inside a
 * transaction that is not part of it, as with one connection behind a lock.
 */
import { parentPort, workerData } from 'node:worker_threads';
import SQLite from 'better-sqlite3';
import { LRUCache } from 'lru-cache';
import type { Reply, Request, WorkerSettings } from './sqlite-thread.ts';

const port = parentPort;
if (!port) throw new Error('sqlite-worker.ts runs as a worker thread');
const settings = workerData as WorkerSettings;

const sqlite = new SQLite(settings.file);
for (const pragma of settings.pragmas) sqlite.pragma(pragma);

// Queries are built from a fixed set of shapes; the bound only guards against a future dynamic one.
const statements = new LRUCache<string, SQLite.Statement>({ max: 1000 });
function prepare(sql: string): SQLite.Statement {
  let statement = statements.get(sql);
  if (!statement) {
    statement = sqlite.prepare(sql);
    statements.set(sql, statement);
  }
  return statement;
}

/** The connection whose transaction is open, and what other connections sent meanwhile. */
let owner: number | null = null;
const waiting: Request[] = [];

/** Whether the open transaction has written: its commit is then a write that reached the file. */
let dirty = false;

function run(request: Request): Reply {
  if (request.kind === 'close') {
    sqlite.close();
    return { id: request.id, rows: [] };
  }
  try {
    const statement = prepare(request.sql);
    const parameters = request.parameters;
    const reply: Answered = statement.reader
      ? { id: request.id, rows: statement.all(parameters) as unknown[] }
      : ran(request.id, statement.run(parameters));
    // The server's thread learns that a write reached the file (store/health.ts: a full disk is
    // over only once one does): a write outside a transaction, or the commit of one that wrote.
    const writes = !statement.readonly;
    if (sqlite.inTransaction) dirty ||= writes;
    else if (writes || (dirty && COMMITS.test(request.sql))) reply.wrote = true;
    if (!sqlite.inTransaction) dirty = false;
    return reply;
  } catch (error) {
    if (!sqlite.inTransaction) dirty = false;
    const { name, message, code } = error as { name?: string; message?: string; code?: unknown };
    return {
      id: request.id,
      error: {
        name: name ?? 'Error',
        message: message ?? String(error),
        code: typeof code === 'string' ? code : undefined,
      },
    };
  } finally {
    if (sqlite.open && sqlite.inTransaction) owner ??= request.connection;
    // The owner's own commit or rollback ends its hold. A transaction SQLite rolled back by itself
    // (disk full, an OR ROLLBACK conflict) keeps it until then: the owner does not know yet, and
    // nothing else may run between its statements.
    else if (owner === request.connection && (!sqlite.open || ENDS_TRANSACTION.test(request.sql)))
      owner = null;
  }
}

const ENDS_TRANSACTION = /^\s*(commit|end|rollback)\b/i;
const COMMITS = /^\s*(commit|end)\b/i;

type Answered = Exclude<Reply, { error: object }>;

function ran(id: number, { changes, lastInsertRowid }: SQLite.RunResult): Answered {
  return { id, rows: [], changes, lastInsertRowid: BigInt(lastInsertRowid) };
}

/**
 * Runs, in the order they came, every waiting statement that may run now, and answers them in one
 * message: one message per batch, each way, costs both threads less than one per statement.
 */
function pump(): void {
  const replies: Reply[] = [];
  let i = 0;
  while (i < waiting.length) {
    const request = waiting[i] as Request;
    if (owner !== null && request.connection !== owner) {
      i++;
      continue;
    }
    waiting.splice(i, 1);
    replies.push(run(request));
    // No transaction open (any more): the earliest waiting statement goes next.
    if (owner === null) i = 0;
  }
  if (replies.length > 0) port?.postMessage(replies);
}

/** The server's thread sends the statements of one turn of its event loop together. */
port.on('message', (batch: Request[]) => {
  for (const request of batch) waiting.push(request);
  pump();
});
