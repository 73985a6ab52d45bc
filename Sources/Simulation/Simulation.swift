import Actuation
