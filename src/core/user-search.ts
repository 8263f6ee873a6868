import { type AST, type Node, type NodeRangedTerm, type NodeTerm, parse, phrase, term } from 'lucene';
import { AuthError } from './errors.ts';
import type { FilterValue, UserColumn, UserField, UserFilter } from './user-query.ts';

/**
 * Reads `q` of `GET /api/v2/users` (Auth0's user search v3: Lucene query syntax) into a filter
 * tree. The `lucene` package parses; this says what each field means and refuses, with a 400
 * naming it, any field or operator Tessera does not search by.
 */

export const MAX_QUERY_LENGTH = 2048;
/** How many terms and how deep a query's groups may go: each term is a condition in the SQL. */
const MAX_TERMS = 64;
const MAX_DEPTH = 16;

type Kind = 'text' | 'flag' | 'count' | 'time';

/** The fields that can be searched, by the name a query gives them. */
const FIELDS: Record<string, { column: UserColumn; kind: Kind }> = {
  user_id: { column: 'user_id', kind: 'text' },
  email: { column: 'email', kind: 'text' },
  phone_number: { column: 'phone_number', kind: 'text' },
  name: { column: 'name', kind: 'text' },
  nickname: { column: 'nickname', kind: 'text' },
  last_ip: { column: 'last_ip', kind: 'text' },
  'identities.connection': { column: 'connection', kind: 'text' },
  blocked: { column: 'blocked', kind: 'flag' },
  email_verified: { column: 'email_verified', kind: 'flag' },
  phone_verified: { column: 'phone_verified', kind: 'flag' },
  logins_count: { column: 'logins_count', kind: 'count' },
  created_at: { column: 'created_at', kind: 'time' },
  updated_at: { column: 'updated_at', kind: 'time' },
  last_login: { column: 'last_login', kind: 'time' },
};

/** A term without a field searches these, as Auth0's does its normalised profile fields. */
const IMPLICIT_FIELDS = ['email', 'name', 'nickname'] as const;

const METADATA_KEY = /^[A-Za-z0-9_-]{1,64}$/;
const DAY_MS = 86_400_000;

const refuse = (message: string) => new AuthError(400, 'invalid_query_string', message);

/** Parses `q`; an empty query is no filter. */
export function parseUserSearch(q: string): UserFilter | undefined {
  if (q.trim() === '') return undefined;
  if (q.length > MAX_QUERY_LENGTH) refuseWith(`q must be at most ${MAX_QUERY_LENGTH} characters`);
  let ast: AST;
  try {
    ast = parse(q);
  } catch (error) {
    // The parser's messages list what it expected; the position is what a person needs.
    const offset = (error as { location?: { start?: { offset?: number } } }).location?.start?.offset;
    throw refuse(`q is not a valid query${offset === undefined ? '' : ` (at character ${offset + 1})`}`);
  }
  const budget = { terms: 0 };
  return fromTree(ast, undefined, 0, budget);
}

function refuseWith(message: string): never {
  throw refuse(message);
}

function isTree(node: AST | Node): node is AST {
  return 'left' in node;
}

function fromTree(
  node: AST | Node,
  group: string | undefined,
  depth: number,
  budget: { terms: number },
): UserFilter {
  if (!isTree(node)) return fromNode(node, group, budget);
  // Groups count, not the chain of operators between terms (MAX_TERMS bounds that).
  if (node.parenthesized) depth += 1;
  if (depth > MAX_DEPTH) refuseWith(`q nests groups more than ${MAX_DEPTH} deep`);
  const field = node.field !== undefined && node.field !== '<implicit>' ? node.field : group;
  let left = fromTree(node.left, field, depth, budget);
  if ('start' in node && node.start !== undefined) left = applyLeading(node.start, left);
  if (!('right' in node)) return left;
  const right = fromTree(node.right, field, depth, budget);
  switch (node.operator as string) {
    case 'AND':
    case '&&':
      return { kind: 'all', filters: [left, right] };
    case 'OR':
    case '||':
    case '<implicit>':
      return { kind: 'any', filters: [left, right] };
    case 'AND NOT':
      return { kind: 'all', filters: [left, { kind: 'not', filter: right }] };
    case 'OR NOT':
      return { kind: 'any', filters: [left, { kind: 'not', filter: right }] };
    default:
      return refuseWith(`q uses the operator ${String(node.operator)}, which is not supported`);
  }
}

function applyLeading(start: string, filter: UserFilter): UserFilter {
  if (start === 'NOT') return { kind: 'not', filter };
  return refuseWith(`q starts with the operator ${start}, which is not supported`);
}

function fromNode(node: Node, group: string | undefined, budget: { terms: number }): UserFilter {
  budget.terms += 1;
  if (budget.terms > MAX_TERMS) refuseWith(`q has more than ${MAX_TERMS} terms`);
  // `-field:x` (and `!`) is Lucene's must-not, `+field:x` its must; the parser leaves them on the name.
  const marked = node.field.match(/^([-!+])(.+)$/);
  const field = marked ? (marked[2] as string) : node.field;
  const name = field === '<implicit>' ? group : field;
  const filter = 'term_min' in node ? fromRange(node, name) : fromTerm(node, name);
  const negated =
    marked?.[1] === '-' ||
    marked?.[1] === '!' ||
    ('prefix' in node && (node.prefix === '-' || node.prefix === '!'));
  return negated ? { kind: 'not', filter } : filter;
}

function fromTerm(node: NodeTerm, name: string | undefined): UserFilter {
  if (node.regex) refuseWith('q uses a regular expression, which is not supported');
  if (node.similarity != null) refuseWith('q uses a fuzzy search (~), which is not supported');
  if ((node as { proximity?: number | null }).proximity != null)
    refuseWith('q uses a proximity search (~), which is not supported');
  const text = node.quoted ? phrase.unescape(node.term) : term.unescape(node.term);
  // `*` and a trailing `*` are wildcards only outside quotes, as in Lucene.
  const star = !node.quoted && /(?<!\\)\*$/.test(node.term);
  const stem = star ? text.slice(0, -1) : text;
  if (!node.quoted && /(?<!\\)[*?]/.test(star ? node.term.slice(0, -1) : node.term))
    refuseWith(`q has a wildcard inside ${JSON.stringify(text)}: only a trailing * is supported`);
  if (name === undefined) return implicitTerm(stem, star);
  const field = fieldNamed(name);
  if (star && stem === '') return { kind: 'present', field: field.field };
  if (star) {
    if (field.kind !== 'text' && field.kind !== 'metadata')
      refuseWith(`q searches ${name} by prefix, which only text fields allow`);
    if (field.root === 'user_metadata')
      refuseWith('q searches user_metadata by prefix, which Auth0 does not allow');
    return { kind: 'prefix', field: field.field, prefix: stem };
  }
  return equality(name, field, stem);
}

function implicitTerm(stem: string, star: boolean): UserFilter {
  const filters = IMPLICIT_FIELDS.map(
    (column): UserFilter =>
      star
        ? { kind: 'prefix', field: { column }, prefix: stem }
        : { kind: 'equals', field: { column }, value: stem },
  );
  return { kind: 'any', filters };
}

function equality(name: string, field: Target, text: string): UserFilter {
  switch (field.kind) {
    case 'text':
      return { kind: 'equals', field: field.field, value: text };
    case 'metadata':
      return { kind: 'equals', field: field.field, value: metadataValue(text) };
    case 'flag':
      if (text !== 'true' && text !== 'false')
        refuseWith(`q compares ${name} with ${text}: use true or false`);
      return { kind: 'equals', field: field.field, value: text === 'true' };
    case 'count':
      return { kind: 'equals', field: field.field, value: count(name, text) };
    case 'time': {
      // A day alone matches the whole day, as Elasticsearch reads a date against a time field.
      const at = time(name, text);
      if (!/^\d{4}-\d{2}-\d{2}$/.test(text)) return { kind: 'equals', field: field.field, value: at };
      return {
        kind: 'range',
        field: field.field,
        min: { value: at, inclusive: true },
        max: { value: at + DAY_MS, inclusive: false },
      };
    }
  }
}

function fromRange(node: NodeRangedTerm, name: string | undefined): UserFilter {
  if (name === undefined) refuseWith('q has a range without a field');
  const field = fieldNamed(name);
  if (field.kind === 'text' || field.kind === 'flag')
    refuseWith(`q has a range on ${name}, which only counts, times and app_metadata numbers allow`);
  if (field.root === 'user_metadata')
    refuseWith('q has a range on user_metadata, which Auth0 does not allow');
  const read = (value: string) =>
    field.kind === 'time'
      ? time(name, value)
      : field.kind === 'count'
        ? count(name, value)
        : number(name, value);
  const lower = node.inclusive === 'both' || node.inclusive === 'left';
  const upper = node.inclusive === 'both' || node.inclusive === 'right';
  return {
    kind: 'range',
    field: field.field,
    ...(node.term_min !== '*' && { min: { value: read(node.term_min), inclusive: lower } }),
    ...(node.term_max !== '*' && { max: { value: read(node.term_max), inclusive: upper } }),
  };
}

/** A field a query names: where it looks, and how its values read. */
interface Target {
  field: UserField;
  kind: Kind | 'metadata';
  root?: 'app_metadata' | 'user_metadata';
}

function fieldNamed(name: string): Target {
  const known = FIELDS[name];
  if (known) return { field: { column: known.column }, kind: known.kind };
  const [root, ...path] = name.split('.');
  if ((root === 'app_metadata' || root === 'user_metadata') && path.length > 0) {
    const bad = path.find((key) => !METADATA_KEY.test(key));
    if (bad !== undefined)
      refuseWith(`q names the ${root} key ${JSON.stringify(bad)}: keys are letters, digits, _ and -`);
    return { field: { metadata: root, path }, kind: 'metadata', root };
  }
  return refuseWith(`q searches the field ${JSON.stringify(name)}, which is not supported`);
}

/** A metadata value compares as JSON does: `true`, `false` and numbers also match those types. */
function metadataValue(text: string): FilterValue {
  if (text === 'true' || text === 'false') return text === 'true';
  if (/^-?\d+(\.\d+)?$/.test(text) && Number.isFinite(Number(text))) return Number(text);
  return text;
}

function count(name: string, text: string): number {
  if (!/^\d{1,15}$/.test(text))
    refuseWith(`q compares ${name} with ${JSON.stringify(text)}: use a whole number`);
  return Number(text);
}

function number(name: string, text: string): number {
  const value = Number(text);
  if (text.trim() === '' || !Number.isFinite(value))
    refuseWith(`q compares ${name} with ${JSON.stringify(text)}: use a number`);
  return value;
}

function time(name: string, text: string): number {
  const at = /^\d{4}-\d{2}-\d{2}([T ][0-9:.]+(Z|[+-]\d{2}:?\d{2})?)?$/.test(text)
    ? Date.parse(text)
    : Number.NaN;
  if (!Number.isFinite(at))
    refuseWith(`q compares ${name} with ${JSON.stringify(text)}: use a date such as 2024-01-31`);
  return at;
}
