// python/src/common.cpp: conversions and the error mapping of the Python module (common.hpp).
#include "common.hpp"

#include "tfe/io/file_error.hpp"

#include <algorithm>
#include <new>
#include <stdexcept>

namespace tfe::python {

xt::xarray<double> to_xarray(py::handle obj, const char* what) {
  using array_in = py::array_t<double, py::array::c_style | py::array::forcecast>;
  auto a = array_in::ensure(obj);
  if (!a)
    throw py::type_error(std::string(what) + ": expected a real array (numpy array, list or number), got " +
                         std::string(py::str(py::type::handle_of(obj).attr("__name__"))));
  shape_t shape(a.shape(), a.shape() + a.ndim());
  auto x = xt::xarray<double>::from_shape(shape);
  std::copy_n(a.data(), a.size(), x.data());
  return x;
}

py::array_t<double> to_numpy(const xt::xarray<double>& x) {
  py::array_t<double> out(std::vector<py::ssize_t>(x.shape().begin(), x.shape().end()));
  std::copy_n(x.data(), x.size(), out.mutable_data());
  return out;
}

py::dict op_stats_dict(const op_stats& s) {
  py::dict d;
  d["bytes_sent"] = s.bytes_sent;
  d["bytes_received"] = s.bytes_received;
  d["messages_sent"] = s.messages_sent;
  d["messages_received"] = s.messages_received;
  d["rounds"] = s.rounds;
  return d;
}

py::dict stats_dict(const statistics& s, std::optional<double> seconds) {
  py::dict d = op_stats_dict(s.total);
  if (seconds) d["seconds"] = *seconds;
  py::dict tags;
  for (const auto& [tag, st] : s.by_tag) {
    py::dict t = op_stats_dict(st);
    t["calls"] = st.calls;
    tags[py::str(tag)] = t;
  }
  d["by_tag"] = tags;
  return d;
}

namespace {

py::object errors_module() { return py::module_::import("tfe.errors"); }

/// The built-in Python class of a standard C++ exception (pybind11's own mapping).
py::handle builtin_class(const std::exception& e) {
  if (dynamic_cast<const std::bad_alloc*>(&e)) return PyExc_MemoryError;
  if (dynamic_cast<const std::out_of_range*>(&e)) return PyExc_IndexError;
  if (dynamic_cast<const std::invalid_argument*>(&e) || dynamic_cast<const std::domain_error*>(&e) ||
      dynamic_cast<const std::length_error*>(&e))
    return PyExc_ValueError;
  return PyExc_RuntimeError;
}

}  // namespace

py::object exception_object(std::exception_ptr p) {
  try {
    std::rethrow_exception(p);
  } catch (const error& e) {
    return errors_module().attr("_class_of_kind")(e.kind())(e.what());
  } catch (py::error_already_set& e) {
    return e.value();
  } catch (const std::exception& e) {
    return py::reinterpret_borrow<py::object>(builtin_class(e))(e.what());
  } catch (...) {
    return py::reinterpret_borrow<py::object>(PyExc_RuntimeError)("unknown C++ exception");
  }
}

void register_error_translator() {
  py::register_exception_translator([](std::exception_ptr p) {
    try {
      if (p) std::rethrow_exception(p);
    } catch (const error& e) {
      py::object exc = exception_object(std::current_exception());
      PyErr_SetObject(reinterpret_cast<PyObject*>(Py_TYPE(exc.ptr())), exc.ptr());
    }
  });
}

void raise_player_failure(const std::string& player, const py::object& exc) {
  errors_module().attr("_raise_player_failure")(player, exc);
  throw std::logic_error("tfe.errors._raise_player_failure returned");  // (it always raises)
}

void raise_run_failure(std::exception_ptr failure, const std::vector<py::object>& python_exceptions) {
  auto python_exception = [&](const python_failure& f) {
    const py::object& exc = python_exceptions.at(f.player());
    return exc ? exc : py::reinterpret_borrow<py::object>(PyExc_RuntimeError)(f.what());
  };
  try {
    std::rethrow_exception(failure);
  } catch (const player_error& e) {
    py::object exc;
    try {
      e.rethrow_original();
    } catch (const python_failure& f) {
      exc = python_exception(f);
    } catch (...) {
      exc = exception_object(std::current_exception());
    }
    raise_player_failure(e.player(), exc);
  } catch (const python_failure& f) {  // the one player of this process (hosts/player) raised it
    py::object exc = python_exception(f);
    PyErr_SetObject(reinterpret_cast<PyObject*>(Py_TYPE(exc.ptr())), exc.ptr());
    throw py::error_already_set();
  }
}

}  // namespace tfe::python
