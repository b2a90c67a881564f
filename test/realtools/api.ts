// A real API server behind a stand-in node: a kwok cluster (test/cluster/build's binaries, all on
// 127.0.0.1) whose kubeconfig the node's kubeadm "writes" as admin.conf and whose port the
// node's published 6443 forwards to. kind then exports a kubeconfig that reaches it, and meshup
// can read nodes and install Istio as on a cluster kind really made.

import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { execa } from 'execa';
import { kwokctlConfigYaml, kwokNodeYaml } from '../../src/tools/kwokctl.js';
import { simBinDir } from '../helpers/sim-env.mjs';
import type { World } from './standin.js';

export interface Api {
  server: string;
  stop(): Promise<void>;
}

export async function apiBehindNode(w: World, name: string): Promise<Api> {
  const bin = simBinDir();
  const dir = join(w.dir, 'api');
  mkdirSync(dir, { recursive: true });
  const env = { PATH: `${bin}:/usr/bin:/bin`, HOME: dir, KUBECONFIG: join(dir, 'kubeconfig'), KWOK_WORKDIR: join(dir, 'kwok') };
  const cfg = join(dir, 'kwokctl.yaml');
  writeFileSync(
    cfg,
    kwokctlConfigYaml({
      kubeApiserver: join(bin, 'kube-apiserver'),
      kubeControllerManager: join(bin, 'kube-controller-manager'),
      kubeScheduler: join(bin, 'kube-scheduler'),
      kwokController: join(bin, 'kwok'),
      etcd: join(bin, 'etcd'),
    }),
  );
  const run = (file: string, args: string[], input?: string) => execa(file, args, { env, extendEnv: false, input, timeout: 180_000 });
  await run(join(bin, 'kwokctl'), ['create', 'cluster', '--name', name, '--config', cfg, '--runtime', 'binary', '--wait', '2m']);
  const ctx = `kwok-${name}`;
  await run('kubectl', ['--context', ctx, 'apply', '-f', '-'], kwokNodeYaml(`${name}-control-plane`, 16, 65536));
  const flat = (await run('kubectl', ['config', 'view', '--raw', '--minify', '--flatten', '--context', ctx])).stdout;
  const server = /server: (https:\/\/127\.0\.0\.1:\d+)/.exec(flat)?.[1];
  if (!server) throw new Error(`no loopback server in the kwok kubeconfig:\n${flat}`);
  const state = join(w.env.DOCKER_STANDIN_DIR!, 'state.json');
  const s = existsSync(state) ? (JSON.parse(readFileSync(state, 'utf8')) as Record<string, unknown>) : {};
  s.forward = { '6443': server.replace('https://', '') };
  s.adminConf = flat;
  writeFileSync(state, JSON.stringify(s, null, 2));
  return {
    server,
    async stop() {
      await execa(join(bin, 'kwokctl'), ['delete', 'cluster', '--name', name], { env, extendEnv: false, reject: false, timeout: 120_000 });
    },
  };
}
