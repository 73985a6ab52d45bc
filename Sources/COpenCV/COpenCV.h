// The OpenCV system library. Only its include path (from `pkg-config --cflags
// opencv4`) and libraries are used; the C++ headers are included by the
// OpenCVBridge shim, never by Swift.
