#ifndef OPENCVBRIDGE_H
#define OPENCVBRIDGE_H
// A plain C ABI over OpenCV's C++ API (filled in by the Perception work).
#endif
