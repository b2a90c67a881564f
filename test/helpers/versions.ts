// The version catalog as the tests read it (synchronously, from versions/catalog.yaml, through the
// same schema meshup checks it with): what a test expects is the catalog's, never a copy.
import { readFileSync } from 'node:fs';
import { VERSIONS_FILE } from '../../src/config/catalog.js';
import { parseYaml } from '../../src/config/load.js';
import { versionsSchema } from '../../src/config/schema.js';

export const VERSIONS = parseYaml(readFileSync(VERSIONS_FILE, 'utf8'), VERSIONS_FILE, versionsSchema, 'version catalog');

const minorOf = (istioVersion: string) => istioVersion.replace(/^v/, '').split('.').slice(0, 2).join('.');

/** The catalog's entry for an Istio version's minor. */
export const releaseFor = (istioVersion: string) => VERSIONS.istio.find((r) => r.minor === minorOf(istioVersion));

/** The Gateway API release an Istio version is built against, by the catalog. */
export const gatewayApiFor = (istioVersion: string) => releaseFor(istioVersion)?.gatewayApi.version;

/** The Istio minors the catalog knows (24 for 1.24), oldest first. */
export const KNOWN_ISTIO_MINORS: readonly number[] = VERSIONS.istio.map((r) => Number(r.minor.split('.')[1])).sort((a, b) => a - b);
