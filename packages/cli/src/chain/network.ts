/**
 * The CLI's chain reads are @decai/chain's status library, the one `decai status` and the dashboard read: these
 * names stay here because many verbs import them. A `Connection` is a `StatusSource`.
 */
export {
  type ApplicationView,
  readApplication,
  readService,
  readServiceSuppliers,
  readServices,
  readSession,
  readSupplier,
  type ServiceView,
  type SessionInfo,
  type SupplierServiceView,
  type SupplierView,
} from "@decai/chain";
