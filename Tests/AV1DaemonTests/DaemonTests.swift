import AV1Daemon
import Testing
