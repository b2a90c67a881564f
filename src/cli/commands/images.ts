import { clusterOptions, type Declaration, examples, meshOptions } from '../define.js';

export const imagesCommand: Declaration = (program, w) =>
  meshOptions(
    clusterOptions(program.command('images').description('the container images the mesh would make its nodes pull, with their registries; reads no cluster')),
  )
    .addHelpText('after', examples('meshup images', 'meshup images --profile ambient --addons kiali,grafana', 'meshup images --json | jq -r ".images[].image"'))
    .action(w.action(async () => (await import('../../commands/images.js')).images));
