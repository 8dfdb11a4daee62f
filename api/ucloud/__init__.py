"""UCloud USMS (ucloud-sdk-python3's `ucloud.services.usms`) on the platform."""
