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
contract ServiceRegistry is IServiceRegistry {
    /// @notice Upper bound of `sourceShareBps` (50%): the supplier who does the work keeps the rest
    ///         (minus the DAO share).
    uint16 public constant MAX_SOURCE_SHARE_BPS = 5000;

    mapping(bytes32 id => Service) private _services;
    bytes32[] private _serviceIds;

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

    function _write(
        Service storage service,
        string calldata modelName,
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
