import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { Annotations, Duration, Lazy, RemovalPolicy, Stack } from 'aws-cdk-lib';
import { AccessLogFormat } from 'aws-cdk-lib/aws-apigateway';
import {
  CorsHttpMethod,
  HttpApi,
  HttpMethod,
  HttpStage,
  LogGroupLogDestination,
} from 'aws-cdk-lib/aws-apigatewayv2';
import { HttpUserPoolAuthorizer } from 'aws-cdk-lib/aws-apigatewayv2-authorizers';
import { HttpLambdaIntegration } from 'aws-cdk-lib/aws-apigatewayv2-integrations';
import type { ICertificate } from 'aws-cdk-lib/aws-certificatemanager';
import {
  AllowedMethods,
  CachePolicy,
  Distribution,
  HeadersFrameOption,
  HeadersReferrerPolicy,
  HttpVersion,
  PriceClass,
  ResponseHeadersPolicy,
  SecurityPolicyProtocol,
  ViewerProtocolPolicy,
} from 'aws-cdk-lib/aws-cloudfront';
import { S3BucketOrigin } from 'aws-cdk-lib/aws-cloudfront-origins';
import {
  AccountRecovery,
  FeaturePlan,
  Mfa,
  OAuthScope,
  StandardThreatProtectionMode,
  UserPool,
  type UserPoolClient,
  UserPoolClientIdentityProvider,
  type UserPoolDomain,
} from 'aws-cdk-lib/aws-cognito';
import { PolicyStatement } from 'aws-cdk-lib/aws-iam';
import { LogGroup, RetentionDays } from 'aws-cdk-lib/aws-logs';
import {
  BlockPublicAccess,
  Bucket,
  BucketEncryption,
  type IBucket,
  ObjectOwnership,
} from 'aws-cdk-lib/aws-s3';
import { BucketDeployment, Source } from 'aws-cdk-lib/aws-s3-deployment';
import { Construct } from 'constructs';
import { CoffeeLambda, REPO_ROOT } from './coffee-lambda.js';
import type { PhotoDatabaseAccess } from './database-access.js';

export interface DashboardProps {
  /** How the API function reaches the coffee database (Database.lambdaAccess). */
  readonly database: PhotoDatabaseAccess;
  /** The photo bucket: the API hands out 5-minute links to objects under photos/ in it. */
  readonly photoBucket: IBucket;
  /** The Cognito hosted sign-in page: https://{authDomainPrefix}.auth.{region}.amazoncognito.com (unique per region). */
  readonly authDomainPrefix: string;
  /**
   * A domain of our own for the site, with its ACM certificate (in us-east-1). Only with one does
   * CloudFront take a minimum of TLS 1.2: its default *.cloudfront.net certificate is fixed at TLSv1.
   */
  readonly customDomain?: { readonly domainName: string; readonly certificate: ICertificate };
  /** Steady and burst requests per second across the API. Default 10 and 20: a dashboard, not a public API. */
  readonly apiThrottle?: { readonly rateLimit: number; readonly burstLimit: number };
  /** Where the site bucket's and CloudFront's access logs go (ACLs enabled for CloudFront). Default: a bucket of its own. */
  readonly accessLogsBucket?: IBucket;
  /** Cognito threat protection (Plus plan, billed per monthly active user). Default true. */
  readonly threatProtection?: boolean;
  /** The page's directory, holding public/ and the compiled dist/ (default local/web of this repository). */
  readonly webDirectory?: string;
}

/** The props do not describe a dashboard that can be deployed; lists every problem. */
export class DashboardPropsError extends Error {
  override readonly name = 'DashboardPropsError';
  constructor(readonly problems: readonly string[]) {
    super(`invalid Dashboard props: ${problems.join('; ')}`);
  }
}

/** The local dashboard's policy (local/src/dashboard/responses.ts) plus what the page needs in AWS. */
export function dashboardContentSecurityPolicy(sources: {
  apiOrigin: string;
  authOrigin: string;
  photoOrigin: string;
}): string {
  return [
    "default-src 'self'",
    // blob: for photos fetched with the sign-in token and shown from memory.
    `img-src 'self' data: blob: ${sources.photoOrigin}`,
    "style-src 'self'",
    "script-src 'self'",
    `connect-src 'self' ${sources.apiOrigin} ${sources.authOrigin}`,
    "frame-ancestors 'none'",
  ].join('; ');
}

const PHOTO_PREFIX = 'photos/';

function checkProps(props: DashboardProps, webDirectory: string): void {
  const problems: string[] = [];
  const prefix = props.authDomainPrefix;
  // Cognito's rules for a prefix domain, and its reserved words.
  if (!/^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$/.test(prefix) || /aws|amazon|cognito/.test(prefix)) {
    problems.push(
      `authDomainPrefix must be 1-63 lower-case letters, digits or inner hyphens without "aws", "amazon" or "cognito", got "${prefix}"`,
    );
  }
  const throttle = props.apiThrottle;
  if (throttle !== undefined) {
    if (!(throttle.rateLimit > 0) || !Number.isFinite(throttle.rateLimit)) {
      problems.push(`apiThrottle.rateLimit must be a positive number, got ${throttle.rateLimit}`);
    }
    if (!Number.isInteger(throttle.burstLimit) || throttle.burstLimit < 1) {
      problems.push(
        `apiThrottle.burstLimit must be a whole number of at least 1, got ${throttle.burstLimit}`,
      );
    }
  }
  for (const part of ['public', 'dist']) {
    if (!existsSync(join(webDirectory, part))) {
      problems.push(`${join(webDirectory, part)} does not exist (build the page first: npm run build)`);
    }
  }
  if (problems.length > 0) throw new DashboardPropsError(problems);
}

/**
 * The dashboard in AWS, a static site and its API, neither reachable without signing in:
 *
 * - Cognito: a user pool where only an administrator creates users (no self sign-up), strong
 *   passwords, optional TOTP MFA, threat protection; a public app client (no secret) for the
 *   authorization-code grant with PKCE, returning to the site; the hosted sign-in page.
 * - The site: a private bucket (no public access, TLS only, encrypted, access-logged) behind
 *   CloudFront with origin access control, HTTPS only, security headers, access logs. The page
 *   (local/web/public, scripts from local/web/dist under /js/) and a generated config.json (the
 *   user pool, client, sign-in and API URLs) are deployed into it.
 * - The API: an HTTP API whose every route needs a Cognito JWT, CORS for the site's origin only,
 *   throttled, access-logged; GET /api/snapshot and GET /api/photos/{key} go to the dashboard-api
 *   function (cloud/src/handlers/dashboard-api.ts), which reads Aurora through the RDS Proxy.
 */
export class Dashboard extends Construct {
  readonly userPool: UserPool;
  readonly userPoolClient: UserPoolClient;
  readonly userPoolDomain: UserPoolDomain;
  readonly siteBucket: Bucket;
  readonly accessLogsBucket: IBucket;
  readonly distribution: Distribution;
  readonly api: HttpApi;
  readonly apiStage: HttpStage;
  readonly apiFunction: CoffeeLambda;
  /** https://… with no trailing slash: the custom domain, else the distribution's. */
  readonly siteUrl: string;
  /** The HTTP API's endpoint, https://{id}.execute-api.{region}.amazonaws.com. */
  readonly apiUrl: string;

  constructor(scope: Construct, id: string, props: DashboardProps) {
    super(scope, id);
    const webDirectory = props.webDirectory ?? join(REPO_ROOT, 'local', 'web');
    checkProps(props, webDirectory);
    const stack = Stack.of(this);
    const threatProtection = props.threatProtection ?? true;

    // --- Sign-in ---------------------------------------------------------------------------------
    this.userPool = new UserPool(this, 'Users', {
      selfSignUpEnabled: false,
      signInAliases: { email: true },
      signInCaseSensitive: false,
      autoVerify: { email: true },
      standardAttributes: { email: { required: true, mutable: true } },
      passwordPolicy: {
        minLength: 12,
        requireLowercase: true,
        requireUppercase: true,
        requireDigits: true,
        requireSymbols: true,
        tempPasswordValidity: Duration.days(3),
      },
      mfa: Mfa.OPTIONAL,
      mfaSecondFactor: { otp: true, sms: false },
      accountRecovery: AccountRecovery.EMAIL_ONLY,
      featurePlan: threatProtection ? FeaturePlan.PLUS : FeaturePlan.ESSENTIALS,
      ...(threatProtection
        ? { standardThreatProtectionMode: StandardThreatProtectionMode.FULL_FUNCTION }
        : {}),
      deletionProtection: true,
      removalPolicy: RemovalPolicy.RETAIN,
    });
    this.userPoolDomain = this.userPool.addDomain('SignIn', {
      cognitoDomain: { domainPrefix: props.authDomainPrefix },
    });

    // --- Site ------------------------------------------------------------------------------------
    this.accessLogsBucket =
      props.accessLogsBucket ??
      new Bucket(this, 'AccessLogs', {
        blockPublicAccess: BlockPublicAccess.BLOCK_ALL,
        encryption: BucketEncryption.S3_MANAGED,
        enforceSSL: true,
        // CloudFront's standard logs are delivered with an ACL grant: ACLs must stay enabled.
        objectOwnership: ObjectOwnership.BUCKET_OWNER_PREFERRED,
        lifecycleRules: [{ expiration: Duration.days(90) }],
      });
    this.siteBucket = new Bucket(this, 'Site', {
      blockPublicAccess: BlockPublicAccess.BLOCK_ALL,
      objectOwnership: ObjectOwnership.BUCKET_OWNER_ENFORCED,
      encryption: BucketEncryption.S3_MANAGED,
      enforceSSL: true,
      minimumTLSVersion: 1.2,
      serverAccessLogsBucket: this.accessLogsBucket,
      serverAccessLogsPrefix: 'site-bucket/',
    });

    const securityHeaders = new ResponseHeadersPolicy(this, 'SecurityHeaders', {
      comment: 'coffee-iot dashboard: CSP, HSTS, no sniffing, no framing, no referrer',
      securityHeadersBehavior: {
        contentSecurityPolicy: {
          override: true,
          contentSecurityPolicy: dashboardContentSecurityPolicy({
            // The API's exact origin when the site's origin is known up front; otherwise the API's
            // CORS rule needs the distribution's domain and the distribution would need the API's:
            // a cycle CloudFormation refuses, so the region's execute-api domain stands in.
            apiOrigin:
              props.customDomain === undefined
                ? `https://*.execute-api.${stack.region}.amazonaws.com`
                : Lazy.string({ produce: () => this.api.apiEndpoint }),
            authOrigin: this.userPoolDomain.baseUrl(),
            photoOrigin: `https://${props.photoBucket.bucketRegionalDomainName}`,
          }),
        },
        strictTransportSecurity: {
          override: true,
          accessControlMaxAge: Duration.days(365),
          includeSubdomains: true,
        },
        contentTypeOptions: { override: true },
        frameOptions: { override: true, frameOption: HeadersFrameOption.DENY },
        referrerPolicy: { override: true, referrerPolicy: HeadersReferrerPolicy.NO_REFERRER },
      },
    });
    this.distribution = new Distribution(this, 'Distribution', {
      comment: 'coffee-iot dashboard',
      defaultBehavior: {
        origin: S3BucketOrigin.withOriginAccessControl(this.siteBucket),
        viewerProtocolPolicy: ViewerProtocolPolicy.REDIRECT_TO_HTTPS,
        allowedMethods: AllowedMethods.ALLOW_GET_HEAD,
        cachePolicy: CachePolicy.CACHING_OPTIMIZED,
        responseHeadersPolicy: securityHeaders,
        compress: true,
      },
      defaultRootObject: 'index.html',
      httpVersion: HttpVersion.HTTP2_AND_3,
      priceClass: PriceClass.PRICE_CLASS_100,
      enableLogging: true,
      logBucket: this.accessLogsBucket,
      logFilePrefix: 'cloudfront/',
      ...(props.customDomain === undefined
        ? {}
        : {
            domainNames: [props.customDomain.domainName],
            certificate: props.customDomain.certificate,
            minimumProtocolVersion: SecurityPolicyProtocol.TLS_V1_2_2021,
          }),
    });
    if (props.customDomain === undefined) {
      Annotations.of(this).addWarningV2(
        'coffee-iot:dashboardDefaultCertificate',
        "The dashboard is served on *.cloudfront.net with CloudFront's default certificate, whose minimum is " +
          'TLSv1 whatever minimumProtocolVersion says: give Dashboard a customDomain for TLS 1.2 at least.',
      );
    }
    this.siteUrl =
      props.customDomain === undefined
        ? `https://${this.distribution.distributionDomainName}`
        : `https://${props.customDomain.domainName}`;

    this.userPoolClient = this.userPool.addClient('Web', {
      // A page in a browser keeps no secret: a public client, whose code exchange PKCE protects.
      // (Cognito accepts PKCE from any client that sends a code_challenge; the page must send one.)
      generateSecret: false,
      authFlows: { userSrp: true },
      oAuth: {
        flows: { authorizationCodeGrant: true, implicitCodeGrant: false, clientCredentials: false },
        scopes: [OAuthScope.OPENID, OAuthScope.EMAIL, OAuthScope.PROFILE],
        callbackUrls: [`${this.siteUrl}/`],
        logoutUrls: [`${this.siteUrl}/`],
      },
      supportedIdentityProviders: [UserPoolClientIdentityProvider.COGNITO],
      preventUserExistenceErrors: true,
      enableTokenRevocation: true,
      accessTokenValidity: Duration.hours(1),
      idTokenValidity: Duration.hours(1),
      refreshTokenValidity: Duration.days(30),
    });

    // --- API -------------------------------------------------------------------------------------
    this.api = new HttpApi(this, 'Api', {
      apiName: 'coffee-iot-dashboard',
      description: 'coffee-iot dashboard API (Cognito sign-in required)',
      createDefaultStage: false,
      // Every route: API Gateway checks the token's signature, issuer, expiry and client id.
      defaultAuthorizer: new HttpUserPoolAuthorizer('Cognito', this.userPool, {
        userPoolClients: [this.userPoolClient],
      }),
      // The browser's preflight is answered by API Gateway itself, without a token.
      corsPreflight: {
        allowOrigins: [this.siteUrl],
        allowMethods: [CorsHttpMethod.GET],
        allowHeaders: ['authorization'],
        maxAge: Duration.hours(1),
      },
    });
    this.apiUrl = this.api.apiEndpoint;

    this.apiFunction = new CoffeeLambda(this, 'ApiFunction', {
      handler: 'dashboard-api',
      description: 'coffee-iot dashboard API: the snapshot from Aurora, links to photos',
      environment: {
        ...props.database.environment,
        PHOTO_BUCKET: props.photoBucket.bucketName,
      },
      timeout: Duration.seconds(15),
      // Outside any VPC with the Data API (small), in the proxy's subnets with mysql (fleet).
      functionProps: { ...props.database.placement },
    });
    props.database.grantConnect(this.apiFunction.function);
    // A presigned link carries the signer's rights: the function may read photos and nothing else.
    this.apiFunction.function.addToRolePolicy(
      new PolicyStatement({
        sid: 'ReadPhotos',
        actions: ['s3:GetObject'],
        resources: [props.photoBucket.arnForObjects(`${PHOTO_PREFIX}*`)],
      }),
    );
    props.photoBucket.encryptionKey?.grantDecrypt(this.apiFunction.function);

    const integration = new HttpLambdaIntegration('DashboardApi', this.apiFunction.function);
    for (const path of ['/api/snapshot', '/api/photos/{proxy+}']) {
      this.api.addRoutes({ path, methods: [HttpMethod.GET], integration });
    }

    const accessLogs = new LogGroup(this, 'ApiAccessLogs', {
      retention: RetentionDays.THREE_MONTHS,
      removalPolicy: RemovalPolicy.DESTROY,
    });
    this.apiStage = new HttpStage(this, 'ApiStage', {
      httpApi: this.api,
      stageName: '$default',
      autoDeploy: true,
      throttle: props.apiThrottle ?? { rateLimit: 10, burstLimit: 20 },
      accessLogSettings: {
        destination: new LogGroupLogDestination(accessLogs),
        // HTTP API context variables; the user is the token's subject, never a name or email.
        format: AccessLogFormat.custom(
          JSON.stringify({
            requestId: '$context.requestId',
            time: '$context.requestTime',
            ip: '$context.identity.sourceIp',
            method: '$context.httpMethod',
            route: '$context.routeKey',
            path: '$context.path',
            status: '$context.status',
            responseLength: '$context.responseLength',
            latencyMs: '$context.responseLatency',
            integrationLatencyMs: '$context.integrationLatency',
            user: '$context.authorizer.claims.sub',
            authorizerError: '$context.authorizer.error',
            integrationError: '$context.integrationErrorMessage',
          }),
        ),
      },
    });

    // --- Deploying the page --------------------------------------------------------------------------
    const deployLogs = new LogGroup(this, 'DeployLogs', {
      retention: RetentionDays.ONE_MONTH,
      removalPolicy: RemovalPolicy.DESTROY,
    });
    // The page asks for /js/*.js (local/src/stack/web-roots.ts maps /js/ to dist/ the same way).
    const scripts = new BucketDeployment(this, 'DeployScripts', {
      destinationBucket: this.siteBucket,
      destinationKeyPrefix: 'js/',
      sources: [
        Source.asset(join(webDirectory, 'dist'), { exclude: ['*.d.ts', '*.d.ts.map', '*.tsbuildinfo'] }),
      ],
      prune: true,
      logGroup: deployLogs,
    });
    const page = new BucketDeployment(this, 'DeployPage', {
      destinationBucket: this.siteBucket,
      sources: [
        Source.asset(join(webDirectory, 'public')),
        Source.jsonData('config.json', {
          region: stack.region,
          userPoolId: this.userPool.userPoolId,
          userPoolClientId: this.userPoolClient.userPoolClientId,
          authUrl: this.userPoolDomain.baseUrl(),
          redirectUri: `${this.siteUrl}/`,
          apiUrl: this.apiUrl,
        }),
      ],
      // Excluded paths are also kept when pruning: the scripts deployed above stay.
      exclude: ['js/*'],
      prune: true,
      logGroup: deployLogs,
      distribution: this.distribution,
      distributionPaths: ['/*'],
    });
    // The page after its scripts, so a new index.html never points at scripts not there yet.
    page.node.addDependency(scripts);
  }
}
