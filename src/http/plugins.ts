import type { FastifyInstance } from 'fastify';
import type { OAuthContext } from '../oauth/context.js';
import type { DiscoveryState } from './routes/discovery.js';
import { revokeRoute } from './routes/revoke.js';
import { introspectRoute } from './routes/introspect.js';
import { profilesPlugin } from './profiles/index.js';
import { requestSignatureMetadata } from './request-signature-metadata.js';
import { registrationRoutes } from './registration/index.js';

/**
 * Route modules beyond the token endpoint (revocation, introspection, compatibility profiles). Each is a
 * function of the app and the context; adding an endpoint means adding a module and a line here.
 */
export type RoutePlugin = (app: FastifyInstance, ctx: OAuthContext, discovery: DiscoveryState) => void | Promise<void>;

export const routePlugins: RoutePlugin[] = [revokeRoute, introspectRoute, requestSignatureMetadata, registrationRoutes, profilesPlugin];
