export { parseCredentialsResponse, type TemporaryAwsCredentials } from './credential-response.js';
export * from './credentials-errors.js';
export {
  type CredentialFetcher,
  type CredentialHttpResponse,
  type CredentialRequest,
  credentialsUrl,
  httpsCredentialFetcher,
} from './https-credential-fetcher.js';
export {
  type CredentialProviderStats,
  IotCredentialProvider,
  type IotCredentialProviderOptions,
} from './iot-credential-provider.js';
