// Large YAML streams (a megabyte of CRDs, Istio's rendered control plane) take a few hundred
// milliseconds to parse. Parsed one document at a time with a turn of the event loop in between,
// they do not hold up what runs beside them: a cluster's creation waiting to be started, the
// spinner.
import { Composer, type Document, Parser } from 'yaml';

export async function* yamlDocuments(text: string): AsyncGenerator<Document.Parsed> {
  for (const doc of new Composer().compose(new Parser().parse(text))) {
    yield doc;
    await new Promise<void>((resolve) => setImmediate(resolve));
  }
}
