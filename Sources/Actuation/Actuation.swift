import RobotCore
