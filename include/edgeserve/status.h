// Public re-export of Status and Result<T> (see common/status.h).
#pragma once

#include "common/status.h"
