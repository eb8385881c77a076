// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {ComputeUnitMode, IServiceRegistry, Service} from "./interfaces/IServiceRegistry.sol";

/// @title ServiceRegistry
/// @notice Permissionless registry of services: one service = one model published by a Source.
///         The caller of `registerService` becomes the service's source: it alone may update the
///         service or hand it over, and it earns `sourceShareBps` of every settled claim on it.
/// @dev Service ids are chosen by the source. The TypeScript side encodes a short ASCII id such as
///      "tiny-llama" right-padded with zero bytes to 32 bytes. Services are never deleted, so an id
///      can never be re-registered by someone else and past claims always resolve.
///      Tiers: the source of a service may link one *batch tier* to it (`registerBatchService`): a
///      service of its own (suppliers stake for it, claims settle on it like any other) that serves the
///      same weights for latency-tolerant work at a lower price (compute-unit weights no higher than the
///      interactive service's, at least one strictly lower). Gateways list it next to the interactive
///      service (`tiny-llama:batch`).
contract ServiceRegistry is IServiceRegistry {
    /// @notice Upper bound of `sourceShareBps` (50%): the supplier who does the work keeps the rest
    ///         (minus the DAO share).
    uint16 public constant MAX_SOURCE_SHARE_BPS = 5000;

    mapping(bytes32 id => Service) private _services;
    bytes32[] private _serviceIds;
    mapping(bytes32 batchId => bytes32 interactiveId) private _batchOf;
    mapping(bytes32 interactiveId => bytes32 batchId) private _batchTier;

    /// @notice Emitted when `source` registers service `id`.
    event ServiceRegistered(
        bytes32 indexed id,
        address indexed source,
        string modelName,
        bytes32 weightsDigest,
        uint16 sourceShareBps,
        ComputeUnitMode cuMode,
        uint64 cuPerRelay,
        uint64 cuPerInputToken,
        uint64 cuPerOutputToken
    );
    /// @notice Emitted when the source of service `id` changes any of its fields.
    event ServiceUpdated(
        bytes32 indexed id,
        address indexed source,
        string modelName,
        bytes32 weightsDigest,
        uint16 sourceShareBps,
        ComputeUnitMode cuMode,
        uint64 cuPerRelay,
        uint64 cuPerInputToken,
        uint64 cuPerOutputToken
    );
    /// @notice Emitted when service `id` is handed from source `from` to source `to`.
    event ServiceOwnershipTransferred(bytes32 indexed id, address indexed from, address indexed to);
    /// @notice Emitted (after its `ServiceRegistered`) when `source` registers `id` as the batch tier of
    ///         `interactiveId`.
    event BatchServiceRegistered(bytes32 indexed id, bytes32 indexed interactiveId, address indexed source);

    /// @notice The service id is zero; pick a non-empty id (e.g. an ASCII name right-padded to 32 bytes).
    error ZeroServiceId();
    /// @notice The service id is already registered; pick another id.
    error ServiceAlreadyExists(bytes32 id);
    /// @notice No service is registered under `id`.
    error UnknownService(bytes32 id);
    /// @notice The model name is empty; give the human-readable model name.
    error EmptyModelName();
    /// @notice `sourceShareBps` is above `MAX_SOURCE_SHARE_BPS`.
    error SourceShareTooHigh(uint16 sourceShareBps, uint16 maxSourceShareBps);
    /// @notice The compute-unit weights give relays zero weight: PerRelay needs `cuPerRelay > 0`,
    ///         PerToken needs `cuPerInputToken > 0` or `cuPerOutputToken > 0`.
    error InvalidComputeUnits(
        ComputeUnitMode cuMode, uint64 cuPerRelay, uint64 cuPerInputToken, uint64 cuPerOutputToken
    );
    /// @notice Only the source of service `id` may do this.
    error NotServiceSource(bytes32 id, address caller);
    /// @notice The new source is the zero address.
    error ZeroAddress();
    /// @notice `index` is past the number of registered services.
    error IndexOutOfBounds(uint256 index, uint256 count);
    /// @notice `interactiveId` already has the batch tier `batchId`; update that one instead.
    error BatchTierExists(bytes32 interactiveId, bytes32 batchId);
    /// @notice `id` is itself a batch tier: link a batch tier to the interactive service instead.
    error NotInteractiveService(bytes32 id);
    /// @notice A batch tier must be cheaper than its interactive service: the same compute-unit mode and a
    ///         lower `cuPerRelay` (PerRelay), or token weights none higher and one lower (PerToken).
    error BatchPriceNotLower(bytes32 batchId, bytes32 interactiveId);
    /// @notice A batch tier serves its interactive service's weights: `weightsDigest` must be `expected`.
    error BatchDigestMismatch(bytes32 batchId, bytes32 expected);

    modifier onlySource(bytes32 id) {
        address source = _services[id].source;
        if (source == address(0)) revert UnknownService(id);
        if (msg.sender != source) revert NotServiceSource(id, msg.sender);
        _;
    }

    /// @notice Registers service `id` with the caller as its source.
    /// @param id Non-zero service id, chosen by the caller.
    /// @param modelName Human-readable model name, non-empty.
    /// @param weightsDigest sha256 of the model artifact suppliers must serve.
    /// @param sourceShareBps Share of every settled claim paid to the source, at most `MAX_SOURCE_SHARE_BPS`.
    /// @param cuMode How a relay is weighed in compute units.
    /// @param cuPerRelay Weight of one relay in PerRelay mode (must be > 0 there).
    /// @param cuPerInputToken Weight of one input token in PerToken mode.
    /// @param cuPerOutputToken Weight of one output token in PerToken mode (one of the two must be > 0 there).
    function registerService(
        bytes32 id,
        string calldata modelName,
        bytes32 weightsDigest,
        uint16 sourceShareBps,
        ComputeUnitMode cuMode,
        uint64 cuPerRelay,
        uint64 cuPerInputToken,
        uint64 cuPerOutputToken
    ) external {
        if (id == bytes32(0)) revert ZeroServiceId();
        if (_services[id].source != address(0)) revert ServiceAlreadyExists(id);
        Service storage service = _services[id];
        service.source = msg.sender;
        _write(service, modelName, weightsDigest, sourceShareBps, cuMode, cuPerRelay, cuPerInputToken, cuPerOutputToken);
        _serviceIds.push(id);
        emit ServiceRegistered(
            id,
            msg.sender,
            modelName,
            weightsDigest,
            sourceShareBps,
            cuMode,
            cuPerRelay,
            cuPerInputToken,
            cuPerOutputToken
        );
    }

    /// @notice Replaces every field of service `id` except its source. Only the source may call it.
    /// @dev Same validation as `registerService`. Changes apply to claims settled afterwards.
    function updateService(
        bytes32 id,
        string calldata modelName,
        bytes32 weightsDigest,
        uint16 sourceShareBps,
        ComputeUnitMode cuMode,
        uint64 cuPerRelay,
        uint64 cuPerInputToken,
        uint64 cuPerOutputToken
    ) external onlySource(id) {
        bytes32 interactiveId = _batchOf[id];
        if (interactiveId != bytes32(0) && weightsDigest != _services[interactiveId].weightsDigest) {
            revert BatchDigestMismatch(id, _services[interactiveId].weightsDigest);
        }
        _write(
            _services[id],
            modelName,
            weightsDigest,
            sourceShareBps,
            cuMode,
            cuPerRelay,
            cuPerInputToken,
            cuPerOutputToken
        );
        emit ServiceUpdated(
            id,
            msg.sender,
            modelName,
            weightsDigest,
            sourceShareBps,
            cuMode,
            cuPerRelay,
            cuPerInputToken,
            cuPerOutputToken
        );
        if (interactiveId != bytes32(0)) {
            _checkBatchPrice(id, interactiveId);
        } else if (_batchTier[id] != bytes32(0)) {
            // The batch tier follows the interactive service's weights, and must stay the cheaper one.
            bytes32 batchId = _batchTier[id];
            Service storage batch = _services[batchId];
            _checkBatchPrice(batchId, id);
            if (batch.weightsDigest != weightsDigest) {
                batch.weightsDigest = weightsDigest;
                emit ServiceUpdated(
                    batchId,
                    batch.source,
                    batch.modelName,
                    weightsDigest,
                    batch.sourceShareBps,
                    batch.cuMode,
                    batch.cuPerRelay,
                    batch.cuPerInputToken,
                    batch.cuPerOutputToken
                );
            }
        }
    }

    /// @notice Registers service `id` as the batch tier of `interactiveId`: the same model name and weights
    ///         digest, its own (lower) compute-unit weights and source share. Only the interactive
    ///         service's source may call it, once per interactive service; the caller becomes `id`'s source.
    /// @dev Emits `ServiceRegistered` for `id` (it is a service like any other: suppliers stake for it and
    ///      claims settle on it) and then `BatchServiceRegistered`.
    /// @param id Non-zero, unused service id for the tier (by convention the interactive name + ".batch").
    /// @param interactiveId A registered interactive service whose source is the caller.
    /// @param sourceShareBps Share of every settled claim on the tier paid to the source.
    /// @param cuMode Must equal the interactive service's mode.
    /// @param cuPerRelay Weight of one relay in PerRelay mode, at most the interactive one.
    /// @param cuPerInputToken Weight of one input token in PerToken mode, at most the interactive one.
    /// @param cuPerOutputToken Weight of one output token in PerToken mode, at most the interactive one.
    function registerBatchService(
        bytes32 id,
        bytes32 interactiveId,
        uint16 sourceShareBps,
        ComputeUnitMode cuMode,
        uint64 cuPerRelay,
        uint64 cuPerInputToken,
        uint64 cuPerOutputToken
    ) external onlySource(interactiveId) {
        if (_batchOf[interactiveId] != bytes32(0)) revert NotInteractiveService(interactiveId);
        if (_batchTier[interactiveId] != bytes32(0)) revert BatchTierExists(interactiveId, _batchTier[interactiveId]);
        if (id == bytes32(0)) revert ZeroServiceId();
        if (_services[id].source != address(0)) revert ServiceAlreadyExists(id);
        Service storage interactive = _services[interactiveId];
        Service storage service = _services[id];
        service.source = msg.sender;
        _write(
            service,
            interactive.modelName,
            interactive.weightsDigest,
            sourceShareBps,
            cuMode,
            cuPerRelay,
            cuPerInputToken,
            cuPerOutputToken
        );
        _batchOf[id] = interactiveId;
        _batchTier[interactiveId] = id;
        _checkBatchPrice(id, interactiveId);
        _serviceIds.push(id);
        emit ServiceRegistered(
            id,
            msg.sender,
            service.modelName,
            service.weightsDigest,
            sourceShareBps,
            cuMode,
            cuPerRelay,
            cuPerInputToken,
            cuPerOutputToken
        );
        emit BatchServiceRegistered(id, interactiveId, msg.sender);
    }

    /// @notice Hands service `id` to `newSource`, who receives the source share from then on.
    /// @dev One step (unlike governance): a source that mistypes only loses its own revenue share.
    /// @param id The service to hand over; the caller must be its source.
    /// @param newSource The new source, non-zero.
    function transferServiceOwnership(bytes32 id, address newSource) external onlySource(id) {
        if (newSource == address(0)) revert ZeroAddress();
        _services[id].source = newSource;
        emit ServiceOwnershipTransferred(id, msg.sender, newSource);
    }

    /// @inheritdoc IServiceRegistry
    function serviceExists(bytes32 id) external view returns (bool) {
        return _services[id].source != address(0);
    }

    /// @inheritdoc IServiceRegistry
    function getService(bytes32 id) external view returns (Service memory) {
        Service memory service = _services[id];
        if (service.source == address(0)) revert UnknownService(id);
        return service;
    }

    /// @notice The interactive service that `id` is the batch tier of; zero for an interactive service.
    function batchOf(bytes32 id) external view returns (bytes32) {
        return _batchOf[id];
    }

    /// @notice The batch tier of interactive service `id`; zero when it has none.
    function batchTierOf(bytes32 id) external view returns (bytes32) {
        return _batchTier[id];
    }

    /// @notice The number of registered services, for enumeration with `serviceIdAt`.
    function serviceCount() external view returns (uint256) {
        return _serviceIds.length;
    }

    /// @notice The id of the `index`-th registered service (registration order).
    /// @param index In [0, serviceCount()); reverts `IndexOutOfBounds` otherwise.
    function serviceIdAt(uint256 index) external view returns (bytes32) {
        if (index >= _serviceIds.length) revert IndexOutOfBounds(index, _serviceIds.length);
        return _serviceIds[index];
    }

    /// @dev Reverts `BatchPriceNotLower` unless `batchId` is cheaper than `interactiveId` (see the error).
    function _checkBatchPrice(bytes32 batchId, bytes32 interactiveId) private view {
        Service storage b = _services[batchId];
        Service storage i = _services[interactiveId];
        bool cheaper;
        if (b.cuMode != i.cuMode) {
            cheaper = false;
        } else if (b.cuMode == ComputeUnitMode.PerRelay) {
            cheaper = b.cuPerRelay < i.cuPerRelay;
        } else {
            cheaper = b.cuPerInputToken <= i.cuPerInputToken && b.cuPerOutputToken <= i.cuPerOutputToken
                && (b.cuPerInputToken < i.cuPerInputToken || b.cuPerOutputToken < i.cuPerOutputToken);
        }
        if (!cheaper) revert BatchPriceNotLower(batchId, interactiveId);
    }

    function _write(
        Service storage service,
        string memory modelName,
        bytes32 weightsDigest,
        uint16 sourceShareBps,
        ComputeUnitMode cuMode,
        uint64 cuPerRelay,
        uint64 cuPerInputToken,
        uint64 cuPerOutputToken
    ) private {
        if (bytes(modelName).length == 0) revert EmptyModelName();
        if (sourceShareBps > MAX_SOURCE_SHARE_BPS) revert SourceShareTooHigh(sourceShareBps, MAX_SOURCE_SHARE_BPS);
        // A relay must weigh something, otherwise suppliers would serve the service for free.
        bool weightless =
            cuMode == ComputeUnitMode.PerRelay ? cuPerRelay == 0 : cuPerInputToken == 0 && cuPerOutputToken == 0;
        if (weightless) revert InvalidComputeUnits(cuMode, cuPerRelay, cuPerInputToken, cuPerOutputToken);
        service.modelName = modelName;
        service.weightsDigest = weightsDigest;
        service.sourceShareBps = sourceShareBps;
        service.cuMode = cuMode;
        service.cuPerRelay = cuPerRelay;
        service.cuPerInputToken = cuPerInputToken;
        service.cuPerOutputToken = cuPerOutputToken;
    }
}
