# deploy/packaging.cmake — install rules for everything but the binary (init/CMakeLists.txt installs that) and
# the CPack configuration of the Debian package. Included once from the top-level CMakeLists.txt.
#   cmake --build build && (cd build && cpack -G DEB)      -> build/nfegress_<version>_<arch>.deb
# The package installs the units but enables nothing: `systemctl enable --now nfegress-init nfegress-enforce`.

set(NFEGRESS_SYSTEMD_UNIT_DIR "lib/systemd/system" CACHE STRING "where the systemd units are installed")
# Always /etc (also for a /usr/local build): the units read /etc/nfegress/.
set(NFEGRESS_CONF_DIR "/etc/nfegress" CACHE PATH "configuration directory read by the units")

install(FILES ${PROJECT_SOURCE_DIR}/deploy/systemd/nfegress-init.service
              ${PROJECT_SOURCE_DIR}/deploy/systemd/nfegress-enforce.service
        DESTINATION ${NFEGRESS_SYSTEMD_UNIT_DIR} COMPONENT runtime)
# /etc/nfegress/: the options file and an empty policy directory (nothing captured until a manifest is added).
install(FILES ${PROJECT_SOURCE_DIR}/deploy/systemd/nfegress.env
        DESTINATION ${NFEGRESS_CONF_DIR} COMPONENT runtime)
install(DIRECTORY DESTINATION ${NFEGRESS_CONF_DIR}/policy COMPONENT runtime)
install(FILES ${PROJECT_SOURCE_DIR}/README.md DESTINATION ${CMAKE_INSTALL_DOCDIR} COMPONENT runtime)
install(DIRECTORY ${PROJECT_SOURCE_DIR}/docs/ DESTINATION ${CMAKE_INSTALL_DOCDIR} COMPONENT runtime
        FILES_MATCHING PATTERN "*.md")
install(DIRECTORY ${PROJECT_SOURCE_DIR}/deploy/examples/ DESTINATION ${CMAKE_INSTALL_DOCDIR}/examples
        COMPONENT runtime)

set(CPACK_PACKAGE_NAME nfegress)
set(CPACK_PACKAGE_VENDOR "nfegress")
set(CPACK_PACKAGE_CONTACT "nfegress maintainers <nfegress@localhost>")
set(CPACK_PACKAGE_DESCRIPTION_SUMMARY "Linkerd EgressNetwork enforcement in the Linux kernel path (nftables + NFQUEUE)")
set(CPACK_PACKAGE_VERSION ${PROJECT_VERSION})
set(CPACK_GENERATOR DEB)
set(CPACK_PACKAGING_INSTALL_PREFIX /usr)
set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT)
set(CPACK_DEBIAN_PACKAGE_SECTION net)
set(CPACK_DEBIAN_PACKAGE_PRIORITY optional)
# Library dependencies are computed from the binary by dpkg-shlibdeps (dpkg-dev) when available.
find_program(NFEGRESS_DPKG_SHLIBDEPS dpkg-shlibdeps)
if(NFEGRESS_DPKG_SHLIBDEPS)
  set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS ON)
else()
  set(CPACK_DEBIAN_PACKAGE_DEPENDS "libnftnl11, libmnl0, libyaml-0-2, libboost-program-options1.74.0, libssl3, libnghttp2-14")
endif()
# Only the conffile is preserved across upgrades; manifests under /etc/nfegress/policy/ are the admin's own files.
file(WRITE ${CMAKE_BINARY_DIR}/deb/conffiles "${NFEGRESS_CONF_DIR}/nfegress.env\n")
set(CPACK_DEBIAN_PACKAGE_CONTROL_EXTRA ${CMAKE_BINARY_DIR}/deb/conffiles)
include(CPack)
