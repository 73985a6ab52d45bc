/// A robot arm that can be observed and commanded, real or simulated.
///
/// Modelled on LeRobot's `Robot`: `connect`, `observe`, `send`, `disconnect`, with
/// the feature names available before connecting. `send` returns what was actually
/// sent after safety (clamping to limits and a maximum step), never silently.
/// Implementations go to their safe state (torque off or hold) on `disconnect`,
/// on any error during `send`, and when their watchdog sees no fresh command.
public protocol Arm: AnyObject {
    /// A name for messages, e.g. `so101-follower on /dev/ttyACM0`.
    var name: String { get }
    /// The joint names in order, known before connecting; a gripper is last if present.
    var jointNames: [String] { get }
    /// Names of the observation values (`<joint>.pos`), known before connecting.
    var observationFeatures: [String] { get }
    /// Names of the action values (`<joint>.pos`), known before connecting.
    var actionFeatures: [String] { get }
    /// The limits every command is held to.
    var safetyLimits: SafetyLimits { get }
    /// Whether `connect()` has succeeded and `disconnect()` has not been called.
    var isConnected: Bool { get }

    /// Opens the connection and prepares the arm (reads calibration, enables torque).
    func connect() throws
    /// Reads the present joint positions.
    func observe() throws -> JointPositions
    /// Sends one action after clamping it to the safety limits.
    /// - Returns: What was requested, what was sent, and what was clamped.
    func send(_ action: RobotAction) throws -> SentAction
    /// Puts the arm in its safe state and closes the connection.
    func disconnect() throws
}

extension Arm {
    public var observationFeatures: [String] { jointNames.map { "\($0).pos" } }
    public var actionFeatures: [String] { jointNames.map { "\($0).pos" } }
}
