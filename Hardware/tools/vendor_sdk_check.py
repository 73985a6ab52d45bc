#!/usr/bin/env python3
"""Cross-check SwiftVLA's simulated servo bus (or a real arm) with the vendors' own SDKs.

The simulator must be byte-compatible with real servos: if the vendors' SDKs parse its
status packets (checksums, CRC-16, byte stuffing, error bytes), so will every other tool.

    pip install dynamixel-sdk feetech-servo-sdk        # ROBOTIS DynamixelSDK, Feetech SCServo SDK
    vla arm sim --profile so101-follower &             # first line of stdout: the pty path
    python3 Hardware/tools/vendor_sdk_check.py feetech /dev/pts/N
    vla arm sim --profile koch-follower &
    python3 Hardware/tools/vendor_sdk_check.py dynamixel /dev/pts/M

Seen on 2026-11-29 against `vla arm sim`: every ping, read, write, sync read and bulk read
succeeded, model numbers 777 (STS3215), 1060 (XL430-W250) and 1200 (XL330-M288), and an
EEPROM write with torque on came back as the Dynamixel access error, as on real servos.
It moves servo 3 to tick 2500: do not point it at a real arm you have not cleared.
"""
import sys
import time
proto, port = sys.argv[1], sys.argv[2]
if proto == "dynamixel":
    import dynamixel_sdk as sdk
    ph = sdk.PortHandler(port); ph.openPort(); ph.setBaudRate(1000000)
    pk = sdk.PacketHandler(2.0)
    for i in range(1, 7):
        model, res, err = pk.ping(ph, i)
        print("ping", i, model, pk.getTxRxResult(res), err)
    pos, res, err = pk.read4ByteTxRx(ph, 3, 132)
    print("present 3:", pos, pk.getTxRxResult(res))
    res, err = pk.write1ByteTxRx(ph, 3, 64, 1); print("torque on:", pk.getTxRxResult(res), err)
    res, err = pk.write4ByteTxRx(ph, 3, 116, 2500); print("goal:", pk.getTxRxResult(res), err)
    time.sleep(0.5)
    gsr = sdk.GroupSyncRead(ph, pk, 132, 4)
    for i in range(1, 7): gsr.addParam(i)
    res = gsr.txRxPacket(); print("sync read:", pk.getTxRxResult(res), [gsr.getData(i, 132, 4) for i in range(1, 7)])
    gbr = sdk.GroupBulkRead(ph, pk)
    gbr.addParam(1, 132, 4); gbr.addParam(2, 0, 2)
    res = gbr.txRxPacket(); print("bulk read:", pk.getTxRxResult(res), gbr.getData(1, 132, 4), gbr.getData(2, 0, 2))
    res, err = pk.write4ByteTxRx(ph, 3, 20, 5); print("EEPROM with torque on:", pk.getTxRxResult(res), pk.getRxPacketError(err))
else:
    import scservo_sdk as sdk
    ph = sdk.PortHandler(port); ph.openPort(); ph.setBaudRate(1000000)
    pk = sdk.PacketHandler(0)
    for i in range(1, 7):
        model, res, err = pk.ping(ph, i)
        print("ping", i, model, pk.getTxRxResult(res), err)
    pos, res, err = pk.read2ByteTxRx(ph, 3, 56); print("present 3:", pos, pk.getTxRxResult(res))
    res, err = pk.write1ByteTxRx(ph, 3, 40, 1); print("torque on:", pk.getTxRxResult(res), err)
    res, err = pk.write2ByteTxRx(ph, 3, 42, 2500); print("goal:", pk.getTxRxResult(res), err)
    time.sleep(0.5)
    gsr = sdk.GroupSyncRead(ph, pk, 56, 2)
    for i in range(1, 7): gsr.addParam(i)
    res = gsr.txRxPacket(); print("sync read:", pk.getTxRxResult(res), [gsr.getData(i, 56, 2) for i in range(1, 7)])
