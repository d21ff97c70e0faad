# A selection of software licenses, in the shape nixpkgs uses for
# `meta.license`: shortName, spdxId, fullName, url, free, redistributable,
# deprecated.
{ lib }:
let
  mk = shortName: attrs:
    let
      free = attrs.free or true;
    in
    {
      inherit shortName free;
      redistributable = attrs.redistributable or free;
      deprecated = attrs.deprecated or false;
    }
    // lib.optionalAttrs (attrs ? spdxId) {
      url = "https://spdx.org/licenses/${attrs.spdxId}.html";
    }
    // attrs;

  table = {
    afl3 = { spdxId = "AFL-3.0"; fullName = "Academic Free License v3.0"; };
    agpl3Only = { spdxId = "AGPL-3.0-only"; fullName = "GNU Affero General Public License v3.0 only"; };
    agpl3Plus = { spdxId = "AGPL-3.0-or-later"; fullName = "GNU Affero General Public License v3.0 or later"; };
    apple-psl20 = { spdxId = "APSL-2.0"; fullName = "Apple Public Source License 2.0"; };
    artistic2 = { spdxId = "Artistic-2.0"; fullName = "Artistic License 2.0"; };
    asl20 = { spdxId = "Apache-2.0"; fullName = "Apache License 2.0"; };
    boost = { spdxId = "BSL-1.0"; fullName = "Boost Software License 1.0"; };
    bsd0 = { spdxId = "0BSD"; fullName = "BSD Zero Clause License"; };
    bsd1 = { spdxId = "BSD-1-Clause"; fullName = "BSD 1-Clause License"; };
    bsd2 = { spdxId = "BSD-2-Clause"; fullName = ''BSD 2-clause "Simplified" License''; };
    bsd2Patent = { spdxId = "BSD-2-Clause-Patent"; fullName = "BSD-2-Clause Plus Patent License"; };
    bsd3 = { spdxId = "BSD-3-Clause"; fullName = ''BSD 3-clause "New" or "Revised" License''; };
    bsdOriginal = { spdxId = "BSD-4-Clause"; fullName = ''BSD 4-clause "Original" or "Old" License''; };
    bsl11 = { spdxId = "BUSL-1.1"; fullName = "Business Source License 1.1"; free = false; redistributable = true; };
    cc0 = { spdxId = "CC0-1.0"; fullName = "Creative Commons Zero v1.0 Universal"; };
    cc-by-30 = { spdxId = "CC-BY-3.0"; fullName = "Creative Commons Attribution 3.0"; };
    cc-by-40 = { spdxId = "CC-BY-4.0"; fullName = "Creative Commons Attribution 4.0"; };
    cc-by-nc-40 = { spdxId = "CC-BY-NC-4.0"; fullName = "Creative Commons Attribution Non Commercial 4.0 International"; free = false; };
    cc-by-sa-40 = { spdxId = "CC-BY-SA-4.0"; fullName = "Creative Commons Attribution Share Alike 4.0"; };
    cddl = { spdxId = "CDDL-1.0"; fullName = "Common Development and Distribution License 1.0"; };
    epl10 = { spdxId = "EPL-1.0"; fullName = "Eclipse Public License 1.0"; };
    epl20 = { spdxId = "EPL-2.0"; fullName = "Eclipse Public License 2.0"; };
    eupl12 = { spdxId = "EUPL-1.2"; fullName = "European Union Public License 1.2"; };
    fdl13Only = { spdxId = "GFDL-1.3-only"; fullName = "GNU Free Documentation License v1.3 only"; };
    fdl13Plus = { spdxId = "GFDL-1.3-or-later"; fullName = "GNU Free Documentation License v1.3 or later"; };
    gpl2Only = { spdxId = "GPL-2.0-only"; fullName = "GNU General Public License v2.0 only"; };
    gpl2Plus = { spdxId = "GPL-2.0-or-later"; fullName = "GNU General Public License v2.0 or later"; };
    gpl3Only = { spdxId = "GPL-3.0-only"; fullName = "GNU General Public License v3.0 only"; };
    gpl3Plus = { spdxId = "GPL-3.0-or-later"; fullName = "GNU General Public License v3.0 or later"; };
    hpnd = { spdxId = "HPND"; fullName = "Historic Permission Notice and Disclaimer"; };
    isc = { spdxId = "ISC"; fullName = "ISC License"; };
    lgpl21Only = { spdxId = "LGPL-2.1-only"; fullName = "GNU Lesser General Public License v2.1 only"; };
    lgpl21Plus = { spdxId = "LGPL-2.1-or-later"; fullName = "GNU Lesser General Public License v2.1 or later"; };
    lgpl3Only = { spdxId = "LGPL-3.0-only"; fullName = "GNU Lesser General Public License v3.0 only"; };
    lgpl3Plus = { spdxId = "LGPL-3.0-or-later"; fullName = "GNU Lesser General Public License v3.0 or later"; };
    mit = { spdxId = "MIT"; fullName = "MIT License"; };
    mit0 = { spdxId = "MIT-0"; fullName = "MIT No Attribution"; };
    mpl11 = { spdxId = "MPL-1.1"; fullName = "Mozilla Public License 1.1"; };
    mpl20 = { spdxId = "MPL-2.0"; fullName = "Mozilla Public License 2.0"; };
    ncsa = { spdxId = "NCSA"; fullName = "University of Illinois/NCSA Open Source License"; };
    ofl = { spdxId = "OFL-1.1"; fullName = "SIL Open Font License 1.1"; };
    openssl = { spdxId = "OpenSSL"; fullName = "OpenSSL License"; };
    postgresql = { spdxId = "PostgreSQL"; fullName = "PostgreSQL License"; };
    psfl = { spdxId = "Python-2.0"; fullName = "Python Software Foundation License version 2"; };
    publicDomain = { fullName = "Public Domain"; };
    sspl = { spdxId = "SSPL-1.0"; fullName = "Server Side Public License"; free = false; redistributable = true; };
    unfree = { fullName = "Unfree"; free = false; redistributable = false; };
    unfreeRedistributable = { fullName = "Unfree redistributable"; free = false; redistributable = true; };
    unfreeRedistributableFirmware = { fullName = "Unfree redistributable firmware"; free = false; redistributable = true; };
    unlicense = { spdxId = "Unlicense"; fullName = "The Unlicense"; };
    upl = { spdxId = "UPL-1.0"; fullName = "Universal Permissive License"; };
    vim = { spdxId = "Vim"; fullName = "Vim License"; };
    w3c = { spdxId = "W3C"; fullName = "W3C Software Notice and License"; };
    wtfpl = { spdxId = "WTFPL"; fullName = "Do What The F*ck You Want To Public License"; };
    zlib = { spdxId = "Zlib"; fullName = "zlib License"; };
    zpl21 = { spdxId = "ZPL-2.1"; fullName = "Zope Public License 2.1"; };

    # Deprecated ambiguous names kept as aliases.
    agpl3 = { spdxId = "AGPL-3.0"; fullName = "GNU Affero General Public License v3.0"; deprecated = true; };
    gpl2 = { spdxId = "GPL-2.0"; fullName = "GNU General Public License v2.0"; deprecated = true; };
    gpl3 = { spdxId = "GPL-3.0"; fullName = "GNU General Public License v3.0"; deprecated = true; };
    lgpl21 = { spdxId = "LGPL-2.1"; fullName = "GNU Library General Public License v2.1"; deprecated = true; };
    lgpl3 = { spdxId = "LGPL-3.0"; fullName = "GNU Lesser General Public License v3.0"; deprecated = true; };
  };
in
builtins.mapAttrs mk table
