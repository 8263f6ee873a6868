import { type AST, term as luceneTerm, type Node, parse } from 'lucene';
import { invalidRequest } from './errors.ts';
import { LOG_SEARCH_FIELDS, type LogFilter, type LogSearchField } from './ports/store.ts';

const DAY_MS = 86_400_000;
const FIELDS = new Set<string>(LOG_SEARCH_FIELDS);
const DAY = /^\d{4}-\d{2}-\d{2}$/;
const INSTANT = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,3})?)?(Z|[+-]\d{2}:\d{2})$/;

/**
 * Reads Auth0's log search `q`, the subset of Lucene's query syntax Tessera answers: `field:value`
 * for type, user_id, user_name, client_id, connection, ip and log_id (exact, case-sensitive, as
 * Auth0's log fields are), `date:YYYY-MM-DD` and `date:[a TO b]` ranges (days or ISO 8601 instants,
 * `*` for an open end, `{}` for exclusive ends), AND, OR, NOT and parentheses; terms side by side
 * are ANDed. Anything else is refused with a 400 that names it, rather than answered wrongly.
 */
export function readLogQuery(q: string): LogFilter {
  let ast: AST;
  try {
    ast = parse(q);
  } catch {
    throw invalidRequest('q is not a valid query (Lucene query string syntax)');
  }
  return fromAst(ast, undefined);
}

function fromAst(ast: AST | Node, inherited: string | undefined): LogFilter {
  if (!('left' in ast)) return fromNode(ast, inherited);
  const field = ast.field !== undefined && ast.field !== '<implicit>' ? ast.field : inherited;
  const left = fromAst(ast.left, field);
  const start = 'start' in ast ? ast.start : undefined;
  const first = start === 'NOT' ? { not: left } : left;
  if (!('right' in ast)) {
    if (start !== undefined && start !== 'NOT') throw invalidRequest(`q: unsupported operator ${start}`);
    return first;
  }
  const right = fromAst(ast.right, field);
  switch (ast.operator) {
    case 'AND':
    case '<implicit>':
      return { and: [first, right] };
    case 'OR':
      return { or: [first, right] };
    case 'AND NOT':
      return { and: [first, { not: right }] };
    case 'OR NOT':
      return { or: [first, { not: right }] };
    default:
      throw invalidRequest(`q: unsupported operator ${String(ast.operator)}`);
  }
}

function fromNode(node: Node, inherited: string | undefined): LogFilter {
  const field = node.field === '<implicit>' ? inherited : node.field;
  if (field === undefined)
    throw invalidRequest('q: a term needs a field (field:value); bare terms are not supported');
  if (field !== 'date' && !FIELDS.has(field))
    throw invalidRequest(
      `q: the field ${field.slice(0, 64)} cannot be searched (supported: date, ${LOG_SEARCH_FIELDS.join(', ')})`,
    );
  if ('term_min' in node) {
    if (field !== 'date') throw invalidRequest(`q: ranges are supported on date only, not on ${field}`);
    return dateRange(node.term_min, node.term_max, node.inclusive);
  }
  const extra = node as { proximity?: number | null };
  if (
    (node.prefix ?? null) !== null ||
    (node.boost ?? null) !== null ||
    (node.similarity ?? null) !== null ||
    (extra.proximity ?? null) !== null ||
    node.regex
  )
    throw invalidRequest(
      `q: ${field}: prefixes (+, -), boosts, fuzzy, proximity and regular expressions are not supported`,
    );
  const value = node.quoted ? node.term : luceneTerm.unescape(node.term);
  if (!node.quoted && /(?<!\\)[*?]/.test(node.term))
    throw invalidRequest(`q: ${field}: wildcards are not supported; give the exact value`);
  if (field === 'date') return dateRange(value, value, 'both');
  return { field: field as LogSearchField, equals: value };
}

/** `[a TO b]` as ms bounds: a day stands for all of it, an instant for itself. */
function dateRange(min: string, max: string, inclusive: 'both' | 'none' | 'left' | 'right'): LogFilter {
  const fromInclusive = inclusive === 'both' || inclusive === 'left';
  const toInclusive = inclusive === 'both' || inclusive === 'right';
  const filter: { field: 'date'; from?: number; before?: number } = { field: 'date' };
  if (min !== '*') {
    const [start, end] = span(min);
    filter.from = fromInclusive ? start : end;
  }
  if (max !== '*') {
    const [start, end] = span(max);
    filter.before = toInclusive ? end : start;
  }
  return filter;
}

/** The ms a date value covers: [start, end). */
function span(value: string): [number, number] {
  const ms = Date.parse(value);
  if (DAY.test(value) && Number.isFinite(ms)) return [ms, ms + DAY_MS];
  if (INSTANT.test(value) && Number.isFinite(ms)) return [ms, ms + 1];
  throw invalidRequest(`q: date: ${value.slice(0, 64)} is not a date (YYYY-MM-DD) or an ISO 8601 instant`);
}
