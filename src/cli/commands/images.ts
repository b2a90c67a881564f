import { clusterOptions, type Declaration, examples, meshOptions } from '../define.js';

export const imagesCommand: Declaration = (program, w) =>
  meshOptions(
    clusterOptions(program.command('images').description('the container images the mesh would make its nodes pull, with their registries; reads no cluster')),
  )
    .option('--prefetch', 'pull every image through the pull-through caches --cache names, so nodes pull them at local speed')
    .option('--cache <registry=url,...>', 'the pull-through cache in front of each registry, e.g. docker.io=http://localhost:5050')
    .addHelpText(
      'after',
      examples(
        'meshup images',
        'meshup images --profile ambient --addons kiali,grafana',
        'meshup images --json | jq -r ".images[].image"',
        'meshup images --prefetch --cache docker.io=http://localhost:5050,quay.io=http://localhost:5051',
      ),
    )
    .action(w.action(async () => (await import('../../commands/images.js')).images));
