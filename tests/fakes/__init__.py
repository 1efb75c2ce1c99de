"""Faithful fakes of hardware interfaces: powercap sysfs, nvidia-ml-py, amdsmi."""
