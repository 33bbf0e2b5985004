/**
 * The Pulumi program (Pulumi.yaml `main: build/stacks/pulumi/index.js`; run `npm run build` first).
 *
 * The stack name picks the typed environment of stacks/environments.ts (dev, staging, prod);
 * documented `spark-airflow:` stack config keys override a few knobs of it; secrets come from
 * Pulumi secret config. The objects deployed are exactly those of the cdk8s chart built from the
 * resulting config.
 */
import { deployStack } from './program';

const platform = deployStack();

// Stack outputs: every export of this module is one, so it exports nothing else.
export const namespace = platform.namespace;
export const jobsNamespace = platform.jobsNamespace;
export const sparkUi = platform.sparkUi;
export const airflowUi = platform.airflowUi;
export const jobImage = platform.jobImage;
