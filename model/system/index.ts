/**
 * The composed system: every layer on at once (`--system`), POSIX calls carried by each service
 * domain's own dispatch instance, on the isolation layer's hypervisor, with the adversary in the
 * network domain and crashes and restarts from the recovery layer (docs/system.md; VIRTUOS.md,
 * "Components", "The dispatch protocol" and "Failure and recovery" together). It has no machines of
 * its own: `instance.ts` says what state a domain's dispatch instance is in (composed, carried,
 * failed) and `incarnation.ts` how instances are set up again and their shadows lost when the domain
 * restarts as a new incarnation.
 */
export * from './instance.ts';
export * from './incarnation.ts';
