// The C++ → C shim over OpenCV lives here (see include/OpenCVBridge.h).
