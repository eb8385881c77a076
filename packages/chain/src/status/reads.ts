import { type Address, ContractFunctionExecutionError, type Hex, maxUint64 } from "viem";
import { getServiceSupplierEntries } from "../actions/getSessionSuppliers.js";
import { serviceRegistryAbi, sessionClockAbi, stakingAbi, testTokenAbi } from "../generated/contracts.js";
import { serviceName } from "./serviceName.js";
import type {
  ApplicationView,
  ServiceView,
  SessionInfo,
  StatusSource,
  SupplierServiceView,
  SupplierView,
  TokenInfo,
} from "./types.js";

/**
 * The current block and session, with the session's first and last block.
 *
 * @example
 * const { session, endBlock } = await readSession({ client, deployment });
 */
export async function readSession({ client, deployment }: StatusSource): Promise<SessionInfo> {
  const block = await client.getBlockNumber({ cacheTime: 0 });
  const at = {
    address: deployment.contracts.sessionClock,
    abi: sessionClockAbi,
    blockNumber: block,
  } as const;
  const session = BigInt(await client.readContract({ ...at, functionName: "sessionOf", args: [block] }));
  const [startBlock, endBlock] = await Promise.all([
    client.readContract({ ...at, functionName: "sessionStartBlock", args: [session] }),
    client.readContract({ ...at, functionName: "sessionEndBlock", args: [session] }),
  ]);
  return { block, session, startBlock: BigInt(startBlock), endBlock: BigInt(endBlock) };
}

/**
 * A registered service, or undefined when `id` is not registered.
 *
 * @example
 * const service = await readService(source, toServiceId("tiny-llama"));
 */
export async function readService(
  { client, deployment }: StatusSource,
  id: Hex,
): Promise<ServiceView | undefined> {
  const at = { address: deployment.contracts.serviceRegistry, abi: serviceRegistryAbi } as const;
  if (!(await client.readContract({ ...at, functionName: "serviceExists", args: [id] }))) return undefined;
  const [s, tiers] = await Promise.all([
    client.readContract({ ...at, functionName: "getService", args: [id] }),
    readTiers({ client, deployment }, id),
  ]);
  return {
    id,
    name: serviceName(id),
    source: s.source,
    modelName: s.modelName,
    weightsDigest: s.weightsDigest,
    sourceShareBps: Number(s.sourceShareBps),
    cuMode: Number(s.cuMode) === 0 ? "per-relay" : "per-token",
    cuPerRelay: BigInt(s.cuPerRelay),
    cuPerInputToken: BigInt(s.cuPerInputToken),
    cuPerOutputToken: BigInt(s.cuPerOutputToken),
    ...tiers,
  };
}

/**
 * A service's tier and the service it is linked to: a batch tier's interactive service (`batchOf`), or an
 * interactive service's batch tier (`batchTierOf`).
 *
 * @example
 * await readTiers(source, toServiceId("tiny-llama.batch")); // { tier: "batch", batchOf: "0x74696e79…" }
 */
export async function readTiers(
  { client, deployment }: StatusSource,
  id: Hex,
): Promise<Pick<ServiceView, "tier" | "batchOf" | "batchTier">> {
  const at = { address: deployment.contracts.serviceRegistry, abi: serviceRegistryAbi } as const;
  let batchOf: Hex;
  let batchTier: Hex;
  try {
    [batchOf, batchTier] = await Promise.all([
      client.readContract({ ...at, functionName: "batchOf", args: [id] }),
      client.readContract({ ...at, functionName: "batchTierOf", args: [id] }),
    ]);
  } catch (error) {
    // A registry deployed before batch tiers has no such views: every service is interactive there.
    if (error instanceof ContractFunctionExecutionError) return { tier: "interactive" };
    throw error;
  }
  if (BigInt(batchOf) !== 0n) return { tier: "batch", batchOf };
  return { tier: "interactive", ...(BigInt(batchTier) === 0n ? {} : { batchTier }) };
}

/**
 * Every registered service, in registration order.
 *
 * @example
 * for (const s of await readServices(source)) console.log(s.name, s.modelName);
 */
export async function readServices(source: StatusSource): Promise<ServiceView[]> {
  const { client, deployment } = source;
  const at = { address: deployment.contracts.serviceRegistry, abi: serviceRegistryAbi } as const;
  const count = await client.readContract({ ...at, functionName: "serviceCount" });
  const ids = await Promise.all(
    Array.from({ length: Number(count) }, (_, i) =>
      client.readContract({ ...at, functionName: "serviceIdAt", args: [BigInt(i)] }),
    ),
  );
  const services = await Promise.all(ids.map((id) => readService(source, id)));
  return services.filter((s): s is ServiceView => s !== undefined);
}

/**
 * The suppliers of a service that serve it in `fromSession` or later, with their endpoints.
 *
 * @example
 * const suppliers = await readServiceSuppliers(source, service.id, session);
 */
export async function readServiceSuppliers(
  source: StatusSource,
  serviceId: Hex,
  fromSession: bigint,
): Promise<(SupplierServiceView & { supplier: Address })[]> {
  const entries = await getServiceSupplierEntries(
    source.client,
    source.deployment.contracts.staking,
    serviceId,
  );
  const live = entries.filter((e) => e.untilSession > fromSession);
  return Promise.all(
    live.map(async (e) => ({
      supplier: e.supplier,
      id: serviceId,
      name: serviceName(serviceId),
      endpoint: await supplierEndpoint(source, e.supplier, serviceId),
      fromSession: e.fromSession,
      ...(e.untilSession === maxUint64 ? {} : { untilSession: e.untilSession }),
    })),
  );
}

/**
 * A supplier's stake, unbonding state and services (with endpoints and the sessions they cover).
 *
 * @example
 * const { stake, services } = await readSupplier(source, address);
 */
export async function readSupplier(source: StatusSource, address: Address): Promise<SupplierView> {
  const { client, deployment } = source;
  const [stake, withdrawable, serviceIds] = await client.readContract({
    address: deployment.contracts.staking,
    abi: stakingAbi,
    functionName: "getSupplier",
    args: [address],
  });
  const services = await Promise.all(
    serviceIds.map(async (id) => {
      const entries = await getServiceSupplierEntries(client, deployment.contracts.staking, id);
      const last = entries.filter((e) => e.supplier.toLowerCase() === address.toLowerCase()).at(-1);
      return {
        id,
        name: serviceName(id),
        endpoint: await supplierEndpoint(source, address, id),
        fromSession: last?.fromSession ?? 0n,
        ...(last && last.untilSession !== maxUint64 ? { untilSession: last.untilSession } : {}),
      };
    }),
  );
  return {
    address,
    stake,
    ...(withdrawable === 0n ? {} : { withdrawableFromSession: BigInt(withdrawable) }),
    services,
  };
}

/**
 * An application's escrow, unbonding state, services and active delegations.
 *
 * @example
 * const { escrow, gateways } = await readApplication(source, address);
 */
export async function readApplication(
  { client, deployment }: StatusSource,
  address: Address,
): Promise<ApplicationView> {
  const [escrow, withdrawable, serviceIds, gateways] = await client.readContract({
    address: deployment.contracts.staking,
    abi: stakingAbi,
    functionName: "getApplication",
    args: [address],
  });
  return {
    address,
    escrow,
    ...(withdrawable === 0n ? {} : { withdrawableFromSession: BigInt(withdrawable) }),
    services: serviceIds.map((id) => ({ id, name: serviceName(id) })),
    gateways: [...gateways],
  };
}

/**
 * An ERC-20's symbol and decimals (falling back to "tokens" / 18 for tokens without them).
 *
 * @example
 * const dst = await readToken(client, deployment.contracts.stakeToken); // { symbol: "DST", decimals: 18, … }
 */
export async function readToken(client: StatusSource["client"], address: Address): Promise<TokenInfo> {
  const [symbol, decimals] = await Promise.all([
    client.readContract({ address, abi: testTokenAbi, functionName: "symbol" }).catch(() => "tokens"),
    client.readContract({ address, abi: testTokenAbi, functionName: "decimals" }).catch(() => 18),
  ]);
  return { address, symbol, decimals: Number(decimals) };
}

/**
 * The stake and payment tokens of a deployment.
 *
 * @example
 * const { stake, payment } = await readDeploymentTokens(source);
 */
export async function readDeploymentTokens({
  client,
  deployment,
}: StatusSource): Promise<{ stake: TokenInfo; payment: TokenInfo }> {
  const [stake, payment] = await Promise.all([
    readToken(client, deployment.contracts.stakeToken),
    readToken(client, deployment.contracts.paymentToken),
  ]);
  return { stake, payment };
}

function supplierEndpoint(
  { client, deployment }: StatusSource,
  supplier: Address,
  serviceId: Hex,
): Promise<string> {
  return client.readContract({
    address: deployment.contracts.staking,
    abi: stakingAbi,
    functionName: "supplierEndpoint",
    args: [supplier, serviceId],
  });
}
