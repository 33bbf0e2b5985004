import { PlatformConfig } from '../lib';
import { dev } from './dev';
import { prod } from './prod';
import { staging } from './staging';

/** Every environment, by name. The order is the synth order. */
export const ENVIRONMENTS: Readonly<Record<string, PlatformConfig>> = { dev, staging, prod };
