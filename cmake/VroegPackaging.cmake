# Debian packages, built with `cpack -G DEB` in a build tree (docs/packaging.md):
#   vroeg-agent      the agent, its systemd unit and /etc/vroeg/agent.yaml
#   vroeg-collector  the collector, vroegctl (the regional team runs the PKI), its unit and
#                    /etc/vroeg/collector.yaml
#   vroeg-common     the indicator catalogue, the `vroeg` system user and the shared directories
#                    /etc/vroeg and /var/lib/vroeg; both of the others depend on it, so that no
#                    file belongs to two packages (dpkg refuses that).
# Binaries are installed by their own CMakeLists (components agent and collector); everything
# else that goes into the packages is installed here.

set(VROEG_DEPLOY_DIR "${PROJECT_SOURCE_DIR}/deploy")

# Files with absolute destinations: the packages follow the Debian layout whatever
# CMAKE_INSTALL_PREFIX is. Debian 12 still ships units in /lib (the /usr move came later).
install(FILES "${VROEG_DEPLOY_DIR}/catalogue/catalogue.yaml"
        DESTINATION "${CMAKE_INSTALL_DATADIR}/vroeg" COMPONENT common)
# Empty, for the certificates. Owned by vroeg-common, so /etc/vroeg stays while either service
# package comes and goes; the postinst gives both directories to group vroeg.
install(DIRECTORY DESTINATION /etc/vroeg/tls COMPONENT common)
install(FILES "${VROEG_DEPLOY_DIR}/config/agent.yaml" DESTINATION /etc/vroeg COMPONENT agent)
install(FILES "${VROEG_DEPLOY_DIR}/systemd/vroeg-agent.service"
        DESTINATION /lib/systemd/system COMPONENT agent)
install(FILES "${VROEG_DEPLOY_DIR}/config/collector.yaml" DESTINATION /etc/vroeg
        COMPONENT collector)
install(FILES "${VROEG_DEPLOY_DIR}/systemd/vroeg-collector.service"
        DESTINATION /lib/systemd/system COMPONENT collector)
# Monitoring of a region (prometheus.yml) and of the national level (national.yml): Prometheus
# configurations and rules to copy into /etc/prometheus, and the Grafana dashboards in the folder
# dashboards/provisioning names.
install(FILES "${VROEG_DEPLOY_DIR}/prometheus/prometheus.yml"
              "${VROEG_DEPLOY_DIR}/prometheus/national.yml"
        DESTINATION "${CMAKE_INSTALL_DATADIR}/vroeg/prometheus" COMPONENT collector)
install(DIRECTORY "${VROEG_DEPLOY_DIR}/prometheus/rules/"
        DESTINATION "${CMAKE_INSTALL_DATADIR}/vroeg/prometheus/rules" COMPONENT collector
        FILES_MATCHING PATTERN "*.yml")
install(DIRECTORY "${PROJECT_SOURCE_DIR}/dashboards/"
        DESTINATION "${CMAKE_INSTALL_DATADIR}/vroeg/dashboards" COMPONENT collector
        FILES_MATCHING PATTERN "*.json")
install(DIRECTORY "${PROJECT_SOURCE_DIR}/dashboards/provisioning/"
        DESTINATION "${CMAKE_INSTALL_DATADIR}/vroeg/grafana-provisioning" COMPONENT collector
        FILES_MATCHING PATTERN "*.yaml")

set(CPACK_PACKAGE_NAME vroeg)
set(CPACK_PACKAGE_VENDOR "Vroeg")
set(CPACK_PACKAGE_VERSION "${PROJECT_VERSION}")
set(VROEG_PACKAGE_MAINTAINER "Vroeg maintainers <maintainers@vroeg.invalid>"
    CACHE STRING "Maintainer field of the Debian packages")
set(CPACK_PACKAGE_CONTACT "${VROEG_PACKAGE_MAINTAINER}")
# The first line of every package's description; the rest is per package below.
set(CPACK_PACKAGE_DESCRIPTION_SUMMARY "Vroeg: ${PROJECT_DESCRIPTION}")
set(CPACK_GENERATOR DEB)
# Relative destinations (bin, share) land under /usr; absolute ones (/etc, /lib) stay put.
set(CPACK_PACKAGING_INSTALL_PREFIX /usr)

set(CPACK_DEB_COMPONENT_INSTALL ON)
set(CPACK_COMPONENTS_ALL agent collector common)
set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT)
set(CPACK_DEBIAN_PACKAGE_RELEASE 1)
set(CPACK_DEBIAN_PACKAGE_SECTION net)
set(CPACK_DEBIAN_PACKAGE_PRIORITY optional)
# Library dependencies from the binaries themselves (dpkg-shlibdeps, from dpkg-dev).
set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS ON)
# Stripped binaries, as Debian ships them; the build tree keeps the symbols.
set(CPACK_STRIP_FILES ON)
# Maintainer scripts executable, conffiles lists 0644, whatever the checkout's modes are.
set(CPACK_DEBIAN_PACKAGE_CONTROL_STRICT_PERMISSION ON)
# vroeg-agent and vroeg-collector depend on exactly this version of vroeg-common.
set(CPACK_DEBIAN_ENABLE_COMPONENT_DEPENDS ON)

set(CPACK_DEBIAN_COMMON_PACKAGE_NAME vroeg-common)
set(CPACK_DEBIAN_COMMON_PACKAGE_ARCHITECTURE all)
# The maintainer scripts create the system user with useradd/groupadd.
set(CPACK_DEBIAN_COMMON_PACKAGE_DEPENDS "passwd")
set(CPACK_DEBIAN_COMMON_DESCRIPTION
    "Files shared by vroeg-agent and vroeg-collector: the indicator catalogue
(/usr/share/vroeg/catalogue.yaml), the 'vroeg' system user, /etc/vroeg and /var/lib/vroeg.")
set(CPACK_DEBIAN_COMMON_PACKAGE_CONTROL_EXTRA
    "${VROEG_DEPLOY_DIR}/debian/common/postinst" "${VROEG_DEPLOY_DIR}/debian/common/postrm")

set(CPACK_COMPONENT_AGENT_DEPENDS common)
# /bin/kill, for the unit's ExecReload (minimal systems lack procps).
set(CPACK_DEBIAN_AGENT_PACKAGE_DEPENDS procps)
set(CPACK_DEBIAN_AGENT_PACKAGE_NAME vroeg-agent)
set(CPACK_DEBIAN_AGENT_DESCRIPTION
    "The agent for providers and municipalities: vroeg-agent checks their CSV and JSON exports
against the indicator catalogue and submits them over gRPC with mutual TLS to the regional
vroeg-collector. As a systemd service it watches a drop folder and keeps a durable spool until
every file is acknowledged.")
set(CPACK_DEBIAN_AGENT_PACKAGE_CONTROL_EXTRA
    "${VROEG_DEPLOY_DIR}/debian/agent/conffiles" "${VROEG_DEPLOY_DIR}/debian/agent/postinst"
    "${VROEG_DEPLOY_DIR}/debian/agent/prerm" "${VROEG_DEPLOY_DIR}/debian/agent/postrm")

set(CPACK_COMPONENT_COLLECTOR_DEPENDS common)
set(CPACK_DEBIAN_COLLECTOR_PACKAGE_NAME vroeg-collector)
set(CPACK_DEBIAN_COLLECTOR_DESCRIPTION
    "The regional collector: vroeg-collector authenticates every reporter by certificate,
validates their submissions and stores them durably in SQLite, and exposes the latest figures
and regional totals on /metrics for Prometheus. vroegctl runs the region's certificate
authority.")
set(CPACK_DEBIAN_COLLECTOR_PACKAGE_CONTROL_EXTRA
    "${VROEG_DEPLOY_DIR}/debian/collector/conffiles" "${VROEG_DEPLOY_DIR}/debian/collector/postinst"
    "${VROEG_DEPLOY_DIR}/debian/collector/prerm" "${VROEG_DEPLOY_DIR}/debian/collector/postrm")

include(CPack)
