// Names of a PerpetualDeployment's children, in one place so builders, observers and tests agree.
export function childNames(pd: string) {
  return {
    gateway: `${pd}-gateway`,
    gatewayConfig: `${pd}-gateway-config`,
    qdrant: `${pd}-qdrant`,
    qdrantHeadless: `${pd}-qdrant-headless`,
    qdrantApiKey: `${pd}-qdrant-api-key`,
    redis: `${pd}-redis`,
    redisPassword: `${pd}-redis-password`,
    adminToken: `${pd}-admin-token`,
    connection: `${pd}-connection`,
    migrationPrefix: `${pd}-migrate-`,
    /** The NetworkPolicy on the vLLM pods of the ModelServers the stack uses. */
    modelServersPolicy: `${pd}-model-servers`,
  };
}

/** Generated secret values live under these keys. */
export const GeneratedKeys = { qdrantApiKey: 'api-key', redisPassword: 'password', adminToken: 'token' } as const;

export const Ports = { gateway: 8000, qdrantHttp: 6333, qdrantGrpc: 6334, qdrantP2p: 6335, redis: 6379 } as const;
