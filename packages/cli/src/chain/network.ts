import { getServiceSupplierEntries, serviceRegistryAbi, sessionClockAbi, stakingAbi } from "@decai/chain";
import { type Address, type Hex, maxUint64 } from "viem";
import type { Connection } from "./connect.js";
import { serviceName } from "./revert.js";

/** The session the chain is in. */
export type SessionInfo = { block: bigint; session: bigint; startBlock: bigint; endBlock: bigint };

/** A registered service, as the CLI shows it. */
export type ServiceView = {
  id: Hex;
  name: string;
  source: Address;
  modelName: string;
  weightsDigest: Hex;
  sourceShareBps: number;
  cuMode: "per-relay" | "per-token";
  cuPerRelay: bigint;
  cuPerInputToken: bigint;
  cuPerOutputToken: bigint;
};

/** A supplier's service: where it serves it, and the sessions [fromSession, untilSession) it is drawn for. */
export type SupplierServiceView = {
  id: Hex;
  name: string;
  endpoint: string;
  fromSession: bigint;
  /** Undefined while open-ended. */
  untilSession?: bigint;
};

/** A supplier's on-chain record. */
export type SupplierView = {
  address: Address;
  stake: bigint;
  /** First session it may withdraw in; undefined while not unbonding. */
  withdrawableFromSession?: bigint;
  services: SupplierServiceView[];
};

/** An application's on-chain record. */
export type ApplicationView = {
  address: Address;
  escrow: bigint;
  withdrawableFromSession?: bigint;
  services: { id: Hex; name: string }[];
  /** Gateways it delegates to now (or from the next session). */
  gateways: Address[];
};

/**
 * The current block and session, with the session's first and last block.
 *
 * @example
 * const { session, endBlock } = await readSession(conn);
 */
export async function readSession(conn: Connection): Promise<SessionInfo> {
  const { client, deployment } = conn;
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
 * const service = await readService(conn, toServiceId("tiny-llama"));
 */
export async function readService(conn: Connection, id: Hex): Promise<ServiceView | undefined> {
  const at = { address: conn.deployment.contracts.serviceRegistry, abi: serviceRegistryAbi } as const;
  if (!(await conn.client.readContract({ ...at, functionName: "serviceExists", args: [id] })))
    return undefined;
  const s = await conn.client.readContract({ ...at, functionName: "getService", args: [id] });
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
  };
}

/**
 * Every registered service, in registration order.
 *
 * @example
 * for (const s of await readServices(conn)) console.log(s.name, s.modelName);
 */
export async function readServices(conn: Connection): Promise<ServiceView[]> {
  const at = { address: conn.deployment.contracts.serviceRegistry, abi: serviceRegistryAbi } as const;
  const count = await conn.client.readContract({ ...at, functionName: "serviceCount" });
  const ids = await Promise.all(
    Array.from({ length: Number(count) }, (_, i) =>
      conn.client.readContract({ ...at, functionName: "serviceIdAt", args: [BigInt(i)] }),
    ),
  );
  const services = await Promise.all(ids.map((id) => readService(conn, id)));
  return services.filter((s): s is ServiceView => s !== undefined);
}

/**
 * The suppliers of a service that serve it in `fromSession` or later, with their endpoints.
 *
 * @example
 * const suppliers = await readServiceSuppliers(conn, service.id, session);
 */
export async function readServiceSuppliers(
  conn: Connection,
  serviceId: Hex,
  fromSession: bigint,
): Promise<(SupplierServiceView & { supplier: Address })[]> {
  const entries = await getServiceSupplierEntries(conn.client, conn.deployment.contracts.staking, serviceId);
  const live = entries.filter((e) => e.untilSession > fromSession);
  return Promise.all(
    live.map(async (e) => ({
      supplier: e.supplier,
      id: serviceId,
      name: serviceName(serviceId),
      endpoint: await supplierEndpoint(conn, e.supplier, serviceId),
      fromSession: e.fromSession,
      ...(e.untilSession === maxUint64 ? {} : { untilSession: e.untilSession }),
    })),
  );
}

/**
 * A supplier's stake, unbonding state and services (with endpoints and the sessions they cover).
 *
 * @example
 * const { stake, services } = await readSupplier(conn, address);
 */
export async function readSupplier(conn: Connection, address: Address): Promise<SupplierView> {
  const { client, deployment } = conn;
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
        endpoint: await supplierEndpoint(conn, address, id),
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
 * const { escrow, gateways } = await readApplication(conn, address);
 */
export async function readApplication(conn: Connection, address: Address): Promise<ApplicationView> {
  const [escrow, withdrawable, serviceIds, gateways] = await conn.client.readContract({
    address: conn.deployment.contracts.staking,
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

function supplierEndpoint(conn: Connection, supplier: Address, serviceId: Hex): Promise<string> {
  return conn.client.readContract({
    address: conn.deployment.contracts.staking,
    abi: stakingAbi,
    functionName: "supplierEndpoint",
    args: [supplier, serviceId],
  });
}
