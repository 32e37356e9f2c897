import { create } from "@bufbuild/protobuf";
import { timestampFromMs } from "@bufbuild/protobuf/wkt";
import {
  ApiKeySchema,
  GroupSchema,
  PrincipalSchema,
  PrincipalType,
  ResourceType,
  ServiceAccountSchema,
  UserSchema,
  type ApiKey,
  type Group,
  type Principal,
  type ServiceAccount,
  type User,
} from "../../gen/tessera/auth/v1/auth_service_pb.ts";
import type { ApiKeyRecord, GroupRecord, PrincipalKind, PrincipalRef, ResourceKind, ServiceAccountRecord, UserRecord } from "../auth/principal.ts";

/** Between the AuthService messages and the auth domain's records. */

const TYPE_OF_KIND: Readonly<Record<PrincipalKind, PrincipalType>> = {
  user: PrincipalType.USER,
  service_account: PrincipalType.SERVICE_ACCOUNT,
  group: PrincipalType.GROUP,
  workspace: PrincipalType.WORKSPACE,
};

const TYPE_OF_RESOURCE: Readonly<Record<ResourceKind, ResourceType>> = {
  workspace: ResourceType.WORKSPACE,
  organization: ResourceType.ORGANIZATION,
  secret_scope: ResourceType.SECRET_SCOPE,
};

/** The reverse of a one-to-one kind → enum table. */
function inverse<K extends string>(table: Readonly<Record<K, number>>): Readonly<Record<number, K | undefined>> {
  return Object.fromEntries(Object.entries(table).map(([k, t]) => [t, k])) as Record<number, K | undefined>;
}

const KIND_OF_TYPE = inverse(TYPE_OF_KIND);
const RESOURCE_OF_TYPE = inverse(TYPE_OF_RESOURCE);

export function principalKindOf(t: PrincipalType): PrincipalKind | undefined {
  return KIND_OF_TYPE[t];
}

export function principalTypeOf(k: PrincipalKind): PrincipalType {
  return TYPE_OF_KIND[k];
}

export function resourceKindOf(t: ResourceType): ResourceKind | undefined {
  return RESOURCE_OF_TYPE[t];
}

export function resourceTypeOf(k: ResourceKind): ResourceType {
  return TYPE_OF_RESOURCE[k];
}

export function principalMessage(ref: PrincipalRef): Principal {
  return create(PrincipalSchema, { principalType: principalTypeOf(ref.type), id: ref.id });
}

export function userMessage(u: UserRecord): User {
  return create(UserSchema, {
    id: u.id,
    loginEmail: u.loginEmail,
    firstName: u.firstName,
    lastName: u.lastName,
    isActive: u.isActive,
    createTime: timestampFromMs(u.createTime),
  });
}

/** `withTime` false gives Tecton's ServiceAccountBasic shape (as in role-assignment listings). */
export function serviceAccountMessage(sa: ServiceAccountRecord, withTime = true): ServiceAccount {
  return create(ServiceAccountSchema, {
    id: sa.id,
    name: sa.name,
    description: sa.description,
    isActive: sa.isActive,
    ...(sa.creator === null ? {} : { creator: principalMessage(sa.creator) }),
    ...(withTime && !sa.builtin ? { createTime: timestampFromMs(sa.createTime) } : {}),
  });
}

export function groupMessage(g: GroupRecord, withMembers = true): Group {
  return create(GroupSchema, {
    id: g.id,
    name: g.name,
    description: g.description,
    members: withMembers ? [...g.members.values()].map(principalMessage) : [],
  });
}

export function apiKeyMessage(k: ApiKeyRecord): ApiKey {
  return create(ApiKeySchema, {
    id: k.id,
    owner: principalMessage(k.owner),
    description: k.description,
    prefix: k.prefix,
    createTime: timestampFromMs(k.createTime),
    revoked: k.revoked,
  });
}
