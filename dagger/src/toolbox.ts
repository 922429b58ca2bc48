/**
 * What the module's constructor was given, as every job runs its tools: the images, trivy's
 * settings, and the `portcullis` CLI container built from Portcullis' own repository.
 */
import type { Container } from "@dagger.io/dagger";
import { cliContainer } from "./cli-container.js";
import { ownRepository, type TrivyOptions } from "./containers.js";

export interface Toolbox {
  /** The image the `portcullis` CLI is built and runs in. */
  nodeImage: string;
  gitleaksImage: string;
  semgrepImage: string;
  k6Image: string;
  /** trivy's image, DB mirrors and registry credentials. */
  trivy: TrivyOptions;
}

/** The `portcullis` CLI on the PATH, built from Portcullis' own repository (never from the caller's). */
export function cli(tools: Toolbox): Container {
  return cliContainer(tools.nodeImage, ownRepository());
}
