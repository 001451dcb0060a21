import { Type } from '@sinclair/typebox';
import { CLIENT_FIELDS } from '../../admin/client-fields.js';

/**
 * OpenAPI documentation of RFC 7591/7592 (documentation only, like every route schema: src/admin validates).
 * Each stored metadata value is the client field table's own schema, under its RFC 7591 §2 name.
 */
const stored = {
  client_name: Type.Optional(CLIENT_FIELDS.name.schema),
  grant_types: Type.Optional(CLIENT_FIELDS.grant_types.schema),
  token_endpoint_auth_method: Type.Optional(CLIENT_FIELDS.token_endpoint_auth_method.schema),
  scope: Type.Optional(CLIENT_FIELDS.scope.schema),
  jwks: Type.Optional(CLIENT_FIELDS.jwks.schema),
  jwks_uri: Type.Optional(CLIENT_FIELDS.jwks_uri.schema),
};

export const ClientMetadataBody = Type.Object(stored, {
  additionalProperties: true,
  description: 'RFC 7591 §2 client metadata. Other metadata (client_uri, contacts, software_id, ...) is ignored; redirect_uris and response_types are refused (no authorization endpoint).',
});

export const ClientUpdateBody = Type.Object(
  { client_id: Type.String(), client_secret: Type.Optional(Type.String({ description: 'if sent, must be the current secret' })), ...stored },
  { additionalProperties: true, description: 'RFC 7592 §2.2: the whole metadata; omitted values take their defaults again' },
);

export const ClientInformation = Type.Object(
  {
    client_id: Type.String(),
    client_secret: Type.Optional(Type.String({ description: 'on registration only, shown once' })),
    client_id_issued_at: Type.Integer(),
    client_secret_expires_at: Type.Optional(Type.Integer({ description: '0: does not expire' })),
    registration_access_token: Type.String(),
    registration_client_uri: Type.String(),
    ...stored,
  },
  { description: 'RFC 7591 §3.2.1 / RFC 7592 §3 client information response' },
);

export const ClientIdParam = Type.Object({ client_id: Type.String() });

export const REGISTRATION_SECURITY = [{ bearer: [] }];
