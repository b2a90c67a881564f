// kubectl's argument arrays that the plan shows and tools/kubectl.ts runs. Pure: no I/O.

/** The field manager of meshup's own server-side applies. */
export const FIELD_MANAGER = 'meshup';

/** A server-side apply of a manifest on stdin, taking over fields others set (meshup's objects are its own). */
export const applyArgs = (fieldManager = FIELD_MANAGER) => ['apply', '--server-side', `--field-manager=${fieldManager}`, '--force-conflicts', '-f', '-'];
