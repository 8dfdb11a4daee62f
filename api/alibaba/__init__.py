"""Alibaba Cloud SMS (Dysmsapi 2017-05-25) front door."""
