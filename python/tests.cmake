# The Python package's tests (included by python/CMakeLists.txt with TFE_BUILD_TESTS): every test runs
# the interpreter the package was built for (Debian's /usr/bin/python3) on the build's package
# (PYTHONPATH=<build>/python). ctest -R python runs them all.
set(_tfe_py_env "PYTHONPATH=${CMAKE_CURRENT_BINARY_DIR}" "PYTHONDONTWRITEBYTECODE=1")
set(_tfe_py_tests "${CMAKE_CURRENT_SOURCE_DIR}/tests")
set(_tfe_py_examples "${PROJECT_SOURCE_DIR}/examples/python")

# tfe_python_test(<name> <script> [args...]): `python3 -B script args` as the ctest test <name>.
function(tfe_python_test name script)
  add_test(NAME ${name} COMMAND "${Python_EXECUTABLE}" -B "${script}" ${ARGN})
  set_tests_properties(${name} PROPERTIES ENVIRONMENT "${_tfe_py_env}" TIMEOUT 300)
endfunction()

# Every exposed op against numpy, under the reference protocol and the two secure ones of tfe.run.
foreach(_p IN ITEMS plain pond aby3)
  tfe_python_test(python_ops_${_p} "${_tfe_py_tests}/test_ops.py" ${_p})
endforeach()
tfe_python_test(python_run "${_tfe_py_tests}/test_run.py")
tfe_python_test(python_errors "${_tfe_py_tests}/test_errors.py")
tfe_python_test(python_predict "${_tfe_py_tests}/test_predict.py")
tfe_python_test(python_stats "${_tfe_py_tests}/test_stats.py")

# The examples (examples/python/), each on small inputs, failing when farther from plain than documented.
tfe_python_test(python_example_private_prediction_aby3 "${_tfe_py_examples}/private_prediction.py"
                --protocol aby3 --small --check)
tfe_python_test(python_example_secure_aggregation_pond "${_tfe_py_examples}/secure_aggregation.py"
                --protocol pond --small --check)
tfe_python_test(python_example_joint_training_aby3 "${_tfe_py_examples}/joint_training.py"
                --protocol aby3 --small --check)
tfe_python_test(python_example_walkthrough "${_tfe_py_examples}/walkthrough.py")

# One process per player over TLS on 127.0.0.1 (scripts/launch_local.sh: certificates, hosts file):
# tfe.predict with hosts/player, and an example's tfe.run with hosts/player.
set(_tfe_launch bash "${PROJECT_SOURCE_DIR}/scripts/launch_local.sh" --timeout 240)
add_test(NAME python_predict_processes_tls
         COMMAND ${_tfe_launch} --players server0,server1,server2,model-owner,client
                 --dir "${CMAKE_CURRENT_BINARY_DIR}/launch/predict" -- "${Python_EXECUTABLE}" -B
                 "${_tfe_py_tests}/predict_player.py")
add_test(NAME python_example_private_prediction_processes_tls
         COMMAND ${_tfe_launch} --players server0,server1,server2,model-owner,prediction-client
                 --dir "${CMAKE_CURRENT_BINARY_DIR}/launch/private_prediction" -- "${Python_EXECUTABLE}" -B
                 "${_tfe_py_examples}/private_prediction.py" --protocol aby3 --small --check)
# (launch_local.sh fails unless every player exits 0; the client exits 1 when its result is wrong.)
set_tests_properties(python_predict_processes_tls python_example_private_prediction_processes_tls PROPERTIES
                     ENVIRONMENT "${_tfe_py_env}" TIMEOUT 300)

# The install rule, into a scratch prefix (python/tests/check_install.py).
add_test(NAME python_install
         COMMAND "${Python_EXECUTABLE}" -B "${_tfe_py_tests}/check_install.py" "${CMAKE_BINARY_DIR}"
                 "${CMAKE_CURRENT_BINARY_DIR}/install_test" "${TFE_PYTHON_INSTALL_DIR}" "${CMAKE_COMMAND}")
set_tests_properties(python_install PROPERTIES TIMEOUT 120)
