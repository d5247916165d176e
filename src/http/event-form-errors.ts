import type { FastifySchemaValidationError } from 'fastify';

/** The key that marks each form of `EventCreate`, in the order of its `anyOf`. */
const FORMS = ['layout', 'seats', 'categories'] as const;

const branchOf = (e: FastifySchemaValidationError) =>
  Number(/^#\/anyOf\/(\d+)\//.exec(e.schemaPath)?.[1] ?? -1);
const missingForm = (e: FastifySchemaValidationError, branch: number) =>
  e.keyword === 'required' && e.instancePath === '' && e.params.missingProperty === FORMS[branch];

/**
 * An event body is one of three forms, so a bad one fails all three and the validator reports why it
 * is not a layout, not a seat list and not a venue. Only the form the body uses is worth telling:
 * `body/areas/0/capacity must be >= 1`, not also "must have required property 'layout'".
 */
export function eventFormErrors(errors: FastifySchemaValidationError[], dataVar: string): Error {
  const branches = new Set(errors.map(branchOf).filter((b) => b >= 0));
  const used = [...branches].filter((b) => !errors.some((e) => missingForm(e, b)));
  if (used.length > 1) return new Error(`${dataVar}: give one of ${FORMS.join(', ')}, not several.`);
  if (branches.size === FORMS.length && used.length === 0)
    return new Error(`${dataVar}: give a layout, a list of seats, or a venue (categories).`);
  const kept = used.length === 1 ? errors.filter((e) => branchOf(e) === used[0]) : errors;
  const told = kept.filter((e) => !(e.keyword === 'anyOf' && e.instancePath === ''));
  return new Error([...new Set(told.map((e) => `${dataVar}${e.instancePath} ${e.message}`))].join(', '));
}
