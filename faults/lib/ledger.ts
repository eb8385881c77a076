import type { Relay } from "@decai/core";
import type { ClientRelayResult, DecaiClient, RelayParameters } from "@decai/sdk";
import type { Address, Hex } from "viem";

/** One relay a client holds a valid receipt for: the supplier acknowledged it and owes it to the claim. */
export type AcknowledgedRelay = {
  supplier: Address;
  session: bigint;
  relayHash: Hex;
  relay: Relay;
  /** `performance.now()` when the receipt arrived. */
  at: number;
};

/** `<supplier>/<session>`, lower-cased: how claims are grouped. */
export const claimGroup = (supplier: string, session: bigint) => `${supplier.toLowerCase()}/${session}`;

/**
 * Every relay whose receipt a client got and verified: what the suppliers acknowledged, so what their claims
 * must hold. `watch(client)` records from a `DecaiClient` (complete answers at once, streams when their
 * receipt arrives at the end).
 *
 * @example
 * const ledger = new ReceiptLedger();
 * ledger.watch(client);
 * // ... load ...
 * await ledger.settled();
 * ledger.groups(); // Map "<supplier>/<session>" → relays
 */
export class ReceiptLedger {
  readonly relays: AcknowledgedRelay[] = [];
  readonly #pending = new Set<Promise<unknown>>();

  /** Records every acknowledged relay that goes through `client.relay` from now on. */
  watch(client: DecaiClient): void {
    const relay = client.relay.bind(client);
    client.relay = async (params: RelayParameters): Promise<ClientRelayResult> => {
      const result = await relay(params);
      if (!result.stream) {
        if (result.receipt.valid && result.receipt.relay) this.#add(result.receipt.relay, result.relayHash);
        return result;
      }
      const done = result.receipt.then(
        (receipt) => {
          if (receipt.valid && receipt.relay) this.#add(receipt.relay, result.relayHash);
        },
        () => {}, // a cut stream has no receipt: the supplier acknowledged nothing
      );
      this.#pending.add(done);
      void done.finally(() => this.#pending.delete(done));
      return result;
    };
  }

  /** Resolves once every stream seen so far has ended (its receipt recorded, or its cut noted). */
  async settled(): Promise<void> {
    while (this.#pending.size > 0) await Promise.all([...this.#pending]);
  }

  /** The acknowledged relays by `<supplier>/<session>`. */
  groups(): Map<string, AcknowledgedRelay[]> {
    const groups = new Map<string, AcknowledgedRelay[]>();
    for (const r of this.relays) {
      const id = claimGroup(r.supplier, r.session);
      groups.set(id, [...(groups.get(id) ?? []), r]);
    }
    return groups;
  }

  #add(relay: Relay, relayHash: Hex): void {
    const { supplier, session } = relay.request;
    this.relays.push({ supplier, session, relayHash, relay, at: performance.now() });
  }
}
