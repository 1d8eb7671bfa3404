import { fail } from '../../core/errors.js';
import type { Runtime } from '../runtime.js';

const building = async (): Promise<void> => {
  await Promise.resolve();
  fail('internal', 'aws: being built');
};
export const runAwsSetup = (_rt: Runtime, _id: string, _o: Record<string, unknown>): Promise<void> => building();
export const runCredentialProcess = (_rt: Runtime, _o: Record<string, unknown>): Promise<void> => building();
export const runAwsExec = (_rt: Runtime, _id: string, _command: string[], _o: Record<string, unknown>): Promise<void> => building();
export const runServeCredentials = (_rt: Runtime, _id: string, _o: Record<string, unknown>): Promise<void> => building();
