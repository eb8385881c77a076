// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

/// @notice How a service weighs one relay in compute units.
enum ComputeUnitMode {
    PerRelay, // every relay weighs `cuPerRelay`
    PerToken // a relay weighs inputTokens * cuPerInputToken + min(outputTokens, maxTokens) * cuPerOutputToken
}

/// @notice One service = one model published by a Source.
struct Service {
    address source; // owner; receives `sourceShareBps` of every settled claim
    string modelName; // human name, e.g. "llama-3.1-8b-instruct-q4"
    bytes32 weightsDigest; // sha256 of the model artifact (GGUF) that suppliers must serve
    uint16 sourceShareBps; // revenue share of the source, <= MAX_SOURCE_SHARE_BPS
    ComputeUnitMode cuMode;
    uint64 cuPerRelay;
    uint64 cuPerInputToken;
    uint64 cuPerOutputToken;
}

/// @title IServiceRegistry
/// @notice What other contracts and the TypeScript side need from the service registry.
interface IServiceRegistry {
    /// @return True when `serviceId` has been registered.
    function serviceExists(bytes32 serviceId) external view returns (bool);

    /// @return The service record; reverts `UnknownService` when absent.
    function getService(bytes32 serviceId) external view returns (Service memory);
}
