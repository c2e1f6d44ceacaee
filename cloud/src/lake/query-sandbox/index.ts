export { duckdbMessage, fileGateRefusal, QueryRefusedError } from './refusals.js';
export {
  LakeFileOutsideError,
  openQuerySandbox,
  type QuerySandbox,
  SandboxSetupError,
  verifyLocked,
} from './sandbox.js';
export { prepareReadOnly } from './statement-check.js';
export { ALLOWED_TABLE_FUNCTIONS, tableFunctionRefusal } from './table-functions.js';
