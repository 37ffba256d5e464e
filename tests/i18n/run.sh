#!/bin/sh
# run.sh BUILD - the translation checks of `make check-i18n`: catalogs
# complete and current (catalogs.sh), no message outside gettext
# (literals.py), and the programs in Chinese and English (locale.sh).
set -u
build=$1
pass=0
fail=0
for t in catalogs.sh literals.py locale.sh; do
	case $t in
	*.py) /usr/bin/python3 "tests/i18n/$t" ;;
	*) sh "tests/i18n/$t" "$build" ;;
	esac
	if [ $? -eq 0 ]; then
		pass=$((pass + 1))
	else
		fail=$((fail + 1))
		echo "FAILED: tests/i18n/$t" >&2
	fi
done
echo "i18n: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
