// The umbrella module: `import VLA` gives an embedding program the whole public API.
@_exported import RobotCore
@_exported import Tensors
@_exported import Transformers
@_exported import Tokenizers
@_exported import Perception
@_exported import Actuation
@_exported import Policy
@_exported import Episodes
