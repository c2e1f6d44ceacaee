import { App, Stack } from 'aws-cdk-lib';
import { Annotations, Match, Template } from 'aws-cdk-lib/assertions';
import { Certificate } from 'aws-cdk-lib/aws-certificatemanager';
import { SecurityGroup, SubnetType, Vpc } from 'aws-cdk-lib/aws-ec2';
import { PolicyStatement } from 'aws-cdk-lib/aws-iam';
import { Bucket } from 'aws-cdk-lib/aws-s3';
import { Secret } from 'aws-cdk-lib/aws-secretsmanager';
import { describe, expect, it } from 'vitest';
import { Dashboard, DashboardPropsError, dashboardContentSecurityPolicy } from './dashboard.js';
import type { DatabaseMode, PhotoDatabaseAccess } from './database-access.js';

type Statement = { Effect: string; Action: string | string[]; Principal?: unknown; Resource: unknown };
const ref = (stack: Stack, construct: { node: { defaultChild?: unknown } }) =>
  stack.getLogicalId(construct.node.defaultChild as never);

const CLUSTER_ARN = 'arn:aws:rds:eu-west-1:123456789012:cluster:coffee';

/**
 * What Database.lambdaAccess gives, without an Aurora cluster (and its migration Lambda) to build:
 * the Data API from outside any VPC (small profile) or mysql2 through the proxy in a VPC (fleet).
 */
function databaseAccess(stack: Stack, mode: DatabaseMode = 'data-api'): PhotoDatabaseAccess {
  const secret = new Secret(stack, 'DbSecret');
  if (mode === 'data-api') {
    return {
      mode,
      secret,
      databaseName: 'coffee_iot',
      environment: {
        DATABASE_MODE: 'data-api',
        DB_CLUSTER_ARN: CLUSTER_ARN,
        DB_SECRET_ARN: secret.secretArn,
        DB_NAME: 'coffee_iot',
      },
      placement: {},
      grantConnect: (grantee) => {
        grantee.grantPrincipal.addToPrincipalPolicy(
          new PolicyStatement({ actions: ['rds-data:ExecuteStatement'], resources: [CLUSTER_ARN] }),
        );
        grantee.grantPrincipal.addToPrincipalPolicy(
          new PolicyStatement({ actions: ['secretsmanager:GetSecretValue'], resources: [secret.secretArn] }),
        );
      },
    };
  }
  const vpc = new Vpc(stack, 'Vpc', { maxAzs: 2, natGateways: 1 });
  return {
    mode,
    secret,
    databaseName: 'coffee_iot',
    environment: {
      DATABASE_MODE: 'mysql',
      DB_SECRET_ARN: secret.secretArn,
      DB_HOST: 'proxy.example.internal',
      DB_NAME: 'coffee_iot',
    },
    placement: {
      vpc,
      vpcSubnets: { subnetType: SubnetType.PRIVATE_WITH_EGRESS },
      securityGroups: [new SecurityGroup(stack, 'DbClients', { vpc })],
    },
    grantConnect: (grantee) => {
      secret.grantRead(grantee);
    },
  };
}

type DashboardProps = ConstructorParameters<typeof Dashboard>[2];

function build(
  app: App,
  id: string,
  extra: (stack: Stack) => Partial<DashboardProps> = () => ({}),
  mode: DatabaseMode = 'data-api',
) {
  const stack = new Stack(app, id, { env: { account: '123456789012', region: 'eu-west-1' } });
  const access = databaseAccess(stack, mode);
  const photos = new Bucket(stack, 'Photos');
  const dashboard = new Dashboard(stack, 'Dashboard', {
    database: access,
    photoBucket: photos,
    authDomainPrefix: 'coffee-iot-test',
    ...extra(stack),
  });
  return { stack, access, photos, dashboard, template: Template.fromStack(stack) };
}

describe('Dashboard', () => {
  const { stack, access, photos, dashboard, template } = build(new App(), 'DashboardTest');
  const resources = template.toJSON().Resources as Record<
    string,
    { Type: string; Properties: Record<string, unknown> }
  >;
  const distributionId = ref(stack, dashboard.distribution);
  const siteId = ref(stack, dashboard.siteBucket);
  const distributionDomain = { 'Fn::GetAtt': [distributionId, 'DomainName'] };

  describe('the site bucket', () => {
    const policy = Object.values(template.findResources('AWS::S3::BucketPolicy')).find(
      (candidate) => candidate.Properties.Bucket.Ref === siteId,
    );
    const statements = (policy?.Properties.PolicyDocument.Statement ?? []) as Statement[];

    it('blocks all public access, is encrypted and logs access', () => {
      template.hasResourceProperties('AWS::S3::Bucket', {
        PublicAccessBlockConfiguration: {
          BlockPublicAcls: true,
          BlockPublicPolicy: true,
          IgnorePublicAcls: true,
          RestrictPublicBuckets: true,
        },
        BucketEncryption: {
          ServerSideEncryptionConfiguration: [{ ServerSideEncryptionByDefault: { SSEAlgorithm: 'AES256' } }],
        },
        LoggingConfiguration: { DestinationBucketName: Match.anyValue(), LogFilePrefix: 'site-bucket/' },
        OwnershipControls: { Rules: [{ ObjectOwnership: 'BucketOwnerEnforced' }] },
      });
    });

    it('refuses plain HTTP and TLS below 1.2', () => {
      expect(statements).toEqual(
        expect.arrayContaining([
          expect.objectContaining({
            Effect: 'Deny',
            Condition: { Bool: { 'aws:SecureTransport': 'false' } },
          }),
          expect.objectContaining({
            Effect: 'Deny',
            Condition: { NumericLessThan: { 's3:TlsVersion': 1.2 } },
          }),
        ]),
      );
    });

    it('lets only this distribution read it, through origin access control', () => {
      const allows = statements.filter((statement) => statement.Effect === 'Allow');
      expect(allows).toEqual([
        expect.objectContaining({
          Action: 's3:GetObject',
          Principal: { Service: 'cloudfront.amazonaws.com' },
          Condition: {
            StringEquals: {
              'AWS:SourceArn': { 'Fn::Join': ['', expect.arrayContaining([{ Ref: distributionId }])] },
            },
          },
        }),
      ]);
    });
  });

  describe('the distribution', () => {
    it('reaches the bucket with OAC, redirects HTTP to HTTPS and logs', () => {
      template.resourceCountIs('AWS::CloudFront::OriginAccessControl', 1);
      template.hasResourceProperties('AWS::CloudFront::OriginAccessControl', {
        OriginAccessControlConfig: { OriginAccessControlOriginType: 's3', SigningBehavior: 'always' },
      });
      template.hasResourceProperties('AWS::CloudFront::Distribution', {
        DistributionConfig: Match.objectLike({
          DefaultRootObject: 'index.html',
          DefaultCacheBehavior: Match.objectLike({
            ViewerProtocolPolicy: 'redirect-to-https',
            AllowedMethods: ['GET', 'HEAD'],
          }),
          Origins: [
            Match.objectLike({
              DomainName: { 'Fn::GetAtt': [siteId, 'RegionalDomainName'] },
              OriginAccessControlId: Match.anyValue(),
              S3OriginConfig: { OriginAccessIdentity: '' },
            }),
          ],
          Logging: Match.objectLike({ Prefix: 'cloudfront/' }),
        }),
      });
    });

    it('sends the local server’s security headers, widened only for the API, sign-in and photos', () => {
      const policy = Object.values(template.findResources('AWS::CloudFront::ResponseHeadersPolicy'))[0];
      const headers = policy?.Properties.ResponseHeadersPolicyConfig.SecurityHeadersConfig;
      expect(headers).toMatchObject({
        ContentTypeOptions: { Override: true },
        FrameOptions: { FrameOption: 'DENY', Override: true },
        ReferrerPolicy: { ReferrerPolicy: 'no-referrer', Override: true },
        StrictTransportSecurity: { AccessControlMaxAgeSec: 31_536_000, Override: true },
      });
      const csp = JSON.stringify(headers.ContentSecurityPolicy.ContentSecurityPolicy);
      for (const directive of [
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self'",
        "frame-ancestors 'none'",
      ]) {
        expect(csp).toContain(directive);
      }
      expect(csp).toContain('.amazoncognito.com');
      expect(csp).toContain(ref(stack, photos));
    });

    it('warns that the default certificate allows TLSv1, since no custom domain was given', () => {
      Annotations.fromStack(stack).hasWarning(
        '/DashboardTest/Dashboard',
        Match.stringLikeRegexp('default certificate.*TLSv1.*customDomain'),
      );
    });
  });

  describe('the API', () => {
    const routes = Object.values(template.findResources('AWS::ApiGatewayV2::Route'));
    const authorizerId = Object.keys(template.findResources('AWS::ApiGatewayV2::Authorizer'))[0];

    it('routes the snapshot and photos, each behind the Cognito JWT authorizer', () => {
      expect(routes.map((route) => route.Properties.RouteKey).sort()).toEqual([
        'GET /api/photos/{proxy+}',
        'GET /api/snapshot',
      ]);
      for (const route of routes) {
        expect(route.Properties).toMatchObject({
          AuthorizationType: 'JWT',
          AuthorizerId: { Ref: authorizerId },
        });
      }
      expect(JSON.stringify(routes)).not.toContain('"NONE"');
      template.hasResourceProperties('AWS::ApiGatewayV2::Authorizer', {
        AuthorizerType: 'JWT',
        IdentitySource: ['$request.header.Authorization'],
        JwtConfiguration: {
          Audience: [{ Ref: ref(stack, dashboard.userPoolClient) }],
          Issuer: { 'Fn::Join': ['', Match.arrayWith([{ Ref: ref(stack, dashboard.userPool) }])] },
        },
      });
    });

    it('allows CORS from the site’s origin only', () => {
      template.hasResourceProperties('AWS::ApiGatewayV2::Api', {
        CorsConfiguration: {
          AllowOrigins: [{ 'Fn::Join': ['', ['https://', distributionDomain]] }],
          AllowMethods: ['GET'],
          AllowHeaders: ['authorization'],
          MaxAge: 3600,
        },
      });
    });

    it('throttles and logs every request to a group that expires', () => {
      const stage = Object.values(template.findResources('AWS::ApiGatewayV2::Stage'))[0];
      expect(stage?.Properties).toMatchObject({
        StageName: '$default',
        AutoDeploy: true,
        DefaultRouteSettings: { ThrottlingRateLimit: 10, ThrottlingBurstLimit: 20 },
      });
      expect(JSON.parse(stage?.Properties.AccessLogSettings.Format)).toMatchObject({
        requestId: '$context.requestId',
        status: '$context.status',
        user: '$context.authorizer.claims.sub',
      });
      const group = stage?.Properties.AccessLogSettings.DestinationArn['Fn::GetAtt'][0];
      expect(resources[group]?.Properties.RetentionInDays).toBe(90);
    });

    it('runs the dashboard-api function outside any VPC with the Data API environment', () => {
      template.hasResourceProperties('AWS::Lambda::Function', {
        Description: Match.stringLikeRegexp('dashboard API'),
        Runtime: 'nodejs24.x',
        VpcConfig: Match.absent(),
        Environment: {
          Variables: {
            DATABASE_MODE: 'data-api',
            DB_CLUSTER_ARN: CLUSTER_ARN,
            DB_SECRET_ARN: { Ref: ref(stack, access.secret) },
            DB_NAME: 'coffee_iot',
            PHOTO_BUCKET: { Ref: ref(stack, photos) },
          },
        },
      });
    });

    it('runs it in the VPC with the database clients’ security group with mysql (fleet)', () => {
      const fleet = build(
        new App({ context: { 'aws:cdk:bundling-stacks': [] } }),
        'FleetDashboard',
        () => ({}),
        'mysql',
      );
      const groups = fleet.access.placement.securityGroups ?? [];
      expect(groups).toHaveLength(1);
      fleet.template.hasResourceProperties('AWS::Lambda::Function', {
        Description: Match.stringLikeRegexp('dashboard API'),
        VpcConfig: Match.objectLike({
          SecurityGroupIds: [{ 'Fn::GetAtt': [ref(fleet.stack, groups[0] as never), 'GroupId'] }],
        }),
        Environment: {
          Variables: Match.objectLike({
            DATABASE_MODE: 'mysql',
            DB_SECRET_ARN: { Ref: ref(fleet.stack, fleet.access.secret) },
            DB_HOST: 'proxy.example.internal',
            DB_NAME: 'coffee_iot',
          }),
        },
      });
    });

    it('may use the database as its access grants, read photos/ objects, and nothing else', () => {
      const role = ref(stack, dashboard.apiFunction.function.role as never);
      const statements = Object.values(template.findResources('AWS::IAM::Policy'))
        .filter((policy) => JSON.stringify(policy.Properties.Roles) === JSON.stringify([{ Ref: role }]))
        .flatMap((policy) => policy.Properties.PolicyDocument.Statement as Statement[]);
      expect(statements).toEqual([
        expect.objectContaining({ Action: 'rds-data:ExecuteStatement', Resource: CLUSTER_ARN }),
        expect.objectContaining({
          Action: 'secretsmanager:GetSecretValue',
          Resource: { Ref: ref(stack, access.secret) },
        }),
        expect.objectContaining({
          Action: 's3:GetObject',
          Resource: { 'Fn::Join': ['', [{ 'Fn::GetAtt': [ref(stack, photos), 'Arn'] }, '/photos/*']] },
        }),
      ]);
    });
  });

  describe('sign-in', () => {
    it('lets only administrators create users, with strong passwords, optional TOTP and threat protection', () => {
      template.hasResourceProperties('AWS::Cognito::UserPool', {
        AdminCreateUserConfig: { AllowAdminCreateUserOnly: true },
        Policies: {
          PasswordPolicy: {
            MinimumLength: 12,
            RequireLowercase: true,
            RequireUppercase: true,
            RequireNumbers: true,
            RequireSymbols: true,
            TemporaryPasswordValidityDays: 3,
          },
        },
        MfaConfiguration: 'OPTIONAL',
        EnabledMfas: ['SOFTWARE_TOKEN_MFA'],
        UserPoolTier: 'PLUS',
        UserPoolAddOns: { AdvancedSecurityMode: 'ENFORCED' },
        DeletionProtection: 'ACTIVE',
      });
    });

    it('has a public client for the code grant that returns to the site', () => {
      template.hasResourceProperties('AWS::Cognito::UserPoolClient', {
        GenerateSecret: false,
        AllowedOAuthFlows: ['code'],
        AllowedOAuthFlowsUserPoolClient: true,
        CallbackURLs: [{ 'Fn::Join': ['', ['https://', distributionDomain, '/']] }],
        SupportedIdentityProviders: ['COGNITO'],
        PreventUserExistenceErrors: 'ENABLED',
      });
      template.hasResourceProperties('AWS::Cognito::UserPoolDomain', { Domain: 'coffee-iot-test' });
    });
  });

  describe('the page', () => {
    const deployments = Object.values(template.findResources('Custom::CDKBucketDeployment'));

    it('deploys the scripts under js/ and the page with a generated config.json', () => {
      expect(deployments.map((deployment) => deployment.Properties.DestinationBucketKeyPrefix ?? '')).toEqual(
        ['js/', ''],
      );
      const page = deployments[1]?.Properties;
      expect(page).toMatchObject({ Exclude: ['js/*'], Prune: true, DistributionPaths: ['/*'] });
      expect(page.SourceObjectKeys).toHaveLength(2);
      expect(Object.values(page.SourceMarkers[1])).toEqual(
        expect.arrayContaining([
          { Ref: ref(stack, dashboard.userPool) },
          { Ref: ref(stack, dashboard.userPoolClient) },
          { 'Fn::GetAtt': [ref(stack, dashboard.api), 'ApiEndpoint'] },
        ]),
      );
    });
  });

  it('takes a custom domain: TLS 1.2 at least, and the exact API origin in the policy', () => {
    const app = new App({ context: { 'aws:cdk:bundling-stacks': [] } });
    const custom = build(app, 'CustomDomain', (scope) => ({
      customDomain: {
        domainName: 'coffee.example.com',
        certificate: Certificate.fromCertificateArn(
          scope,
          'Cert',
          'arn:aws:acm:us-east-1:123456789012:certificate/11111111-2222-3333-4444-555555555555',
        ),
      },
      apiThrottle: { rateLimit: 5, burstLimit: 5 },
    }));
    custom.template.hasResourceProperties('AWS::CloudFront::Distribution', {
      DistributionConfig: Match.objectLike({
        Aliases: ['coffee.example.com'],
        ViewerCertificate: Match.objectLike({
          MinimumProtocolVersion: 'TLSv1.2_2021',
          SslSupportMethod: 'sni-only',
        }),
      }),
    });
    custom.template.hasResourceProperties('AWS::ApiGatewayV2::Api', {
      CorsConfiguration: Match.objectLike({ AllowOrigins: ['https://coffee.example.com'] }),
    });
    custom.template.hasResourceProperties('AWS::Cognito::UserPoolClient', {
      CallbackURLs: ['https://coffee.example.com/'],
    });
    const policy = Object.values(custom.template.findResources('AWS::CloudFront::ResponseHeadersPolicy'))[0];
    const csp = JSON.stringify(policy?.Properties.ResponseHeadersPolicyConfig.SecurityHeadersConfig);
    expect(csp).toContain(ref(custom.stack, custom.dashboard.api));
    expect(csp).not.toContain('*.execute-api');
    custom.template.hasResourceProperties('AWS::ApiGatewayV2::Stage', {
      DefaultRouteSettings: { ThrottlingRateLimit: 5, ThrottlingBurstLimit: 5 },
    });
  });

  it('names every bad prop at once', () => {
    const scope = new Stack(new App(), 'Invalid');
    expect(
      () =>
        new Dashboard(scope, 'Dashboard', {
          database: databaseAccess(scope),
          photoBucket: new Bucket(scope, 'Photos'),
          authDomainPrefix: 'My-Cognito',
          apiThrottle: { rateLimit: 0, burstLimit: 2.5 },
          webDirectory: '/nowhere',
        }),
    ).toThrow(
      new DashboardPropsError([
        'authDomainPrefix must be 1-63 lower-case letters, digits or inner hyphens without "aws", "amazon" or "cognito", got "My-Cognito"',
        'apiThrottle.rateLimit must be a positive number, got 0',
        'apiThrottle.burstLimit must be a whole number of at least 1, got 2.5',
        '/nowhere/public does not exist (build the page first: npm run build)',
        '/nowhere/dist does not exist (build the page first: npm run build)',
      ]),
    );
  });
});

describe('dashboardContentSecurityPolicy', () => {
  it('is the local policy with the API, sign-in and photo origins added', () => {
    expect(
      dashboardContentSecurityPolicy({
        apiOrigin: 'https://api.example',
        authOrigin: 'https://auth.example',
        photoOrigin: 'https://photos.example',
      }),
    ).toBe(
      "default-src 'self'; img-src 'self' data: blob: https://photos.example; style-src 'self'; script-src 'self'; " +
        "connect-src 'self' https://api.example https://auth.example; frame-ancestors 'none'",
    );
  });
});
